import type { OpenAPIBackend } from 'openapi-backend';
import { AppError, type ErrorDetail } from '../errors';
import type { AppointmentEvent, InputEvent, Loc } from '../inputs/inputEvent';
import { instantOf } from '../timestamp';
import { bodyValidator } from './openapiBackend';

/**
 * The problems of events read from another format, checked against the spec's own
 * AppointmentEvent schema (the one the JSON route validates with, so no second schema), each
 * named where it came from in the message: `["body", "PID", 3, 1, 1]` rather than `patient_id`.
 */
export type EventCheck = (inputs: readonly InputEvent[]) => ErrorDetail<'invalid_payload'>[];

export function eventContract(api: OpenAPIBackend): EventCheck {
  // Errors read as the JSON route's do (`["body", field]`), then move to where the field came from.
  const validate = bodyValidator(api, { $ref: '#/components/schemas/AppointmentEvent' }, true);
  return (inputs) => {
    const problems: ErrorDetail<'invalid_payload'>[] = [];
    for (const input of inputs) {
      const relocate = (detail: ErrorDetail<'invalid_payload'>): ErrorDetail<'invalid_payload'> => {
        const [, field, ...rest] = detail.loc;
        const origin: Loc | undefined = typeof field === 'string' ? input.origins[field as keyof AppointmentEvent] : undefined;
        return origin ? { ...detail, loc: ['body', ...origin, ...rest] } : detail;
      };
      const refused = validate(input.event);
      if (refused) {
        problems.push(...(refused as AppError<'invalid_payload'>).details.map(relocate));
        continue;
      }
      try {
        // A date the pattern allows but the calendar does not (30 February) is refused here, not at the write.
        instantOf(input.event.timestamp);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        problems.push(...(err as AppError<'invalid_payload'>).details.map(relocate));
      }
    }
    return problems;
  };
}
