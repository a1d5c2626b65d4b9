import pino, { type DestinationStream, type Logger } from 'pino';
import type { components } from '../generated/openapi';
import type { LogLevel } from './config';

/**
 * Which of the spec's event fields are patient data, redacted wherever they appear in a log
 * line. The compiler holds this to the schema's fields, so a new field must be decided here.
 */
const PATIENT_DATA = {
  event_type: false,
  // An appointment's identifier leads to its patient as surely as the patient's own.
  appointment_id: true,
  patient_id: true,
  timestamp: false,
  notes: true,
} as const satisfies { readonly [K in keyof Required<components['schemas']['AppointmentEvent']>]: boolean };

const REDACTED = ['body', ...Object.entries(PATIENT_DATA).flatMap(([field, redact]) => (redact ? [field] : []))];

/**
 * JSON-lines logs. Request bodies are never logged; the redaction below is a second line of
 * defence so that patient identifiers and clinical notes cannot reach a log by accident.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'appointment-webhook-receiver' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: REDACTED.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/**
 * The same logger without the redaction pass, for the request log line alone: every field of it
 * is chosen by the service (names, statuses, error types and locations, never a value sent), so
 * the redactor, which walks and copies every line to look for patient-data keys, would find
 * nothing there, and it costs about 12 µs a line. Every other line keeps it.
 */
export function withoutRedaction(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: [] } });
}
