import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

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
        paths: ['patient_id', 'notes', 'body', '*.patient_id', '*.notes', '*.body', '*.*.patient_id', '*.*.notes'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
