import type { ErrorObject } from 'ajv';
import type { OpenAPIBackend } from 'openapi-backend';
import { toErrorDetails } from '../../src/http/validationErrors';
import { anEvent, without } from '../helpers/builders';
import { specApi } from '../helpers/specApi';

let api: OpenAPIBackend;
beforeAll(async () => {
  api = await specApi();
});

/** The errors openapi-backend reports for a body, validated against the spec's own schema. */
function errorsFor(body: unknown): ErrorObject[] {
  const result = api.validateRequest(
    { method: 'post', path: '/webhook/appointment', headers: { 'content-type': 'application/json' }, body },
    'receiveAppointmentEvent',
  );
  return result.errors ?? [];
}

describe('toErrorDetails', () => {
  test('when the body is valid, then there is nothing to report', () => {
    expect(errorsFor(anEvent())).toEqual([]);
  });

  test('when a field has several problems, then only the most basic one is reported', () => {
    // A number for event_type fails both `type` and `enum`; a number for timestamp fails only `type`.
    const raw = errorsFor(anEvent({ event_type: 5 }));
    expect(raw.length).toBeGreaterThan(1);
    expect(toErrorDetails(raw)).toEqual([{ loc: ['body', 'event_type'], msg: 'str type expected', type: 'type_error.str' }]);
  });

  test('when the timestamp fails both its pattern and its format, then one datetime error is reported', () => {
    const raw = errorsFor(anEvent({ timestamp: '2025-02-30 12:00:00' }));
    expect(raw.map((e) => e.keyword).sort()).toEqual(['format', 'pattern']);
    expect(toErrorDetails(raw)).toEqual([{ loc: ['body', 'timestamp'], msg: 'invalid datetime format', type: 'value_error.datetime' }]);
  });

  test('when fields are missing, then each is reported at its own location', () => {
    expect(toErrorDetails(errorsFor(without(anEvent(), 'patient_id', 'timestamp')))).toEqual([
      { loc: ['body', 'patient_id'], msg: 'field required', type: 'value_error.missing' },
      { loc: ['body', 'timestamp'], msg: 'field required', type: 'value_error.missing' },
    ]);
  });

  test('when Ajv reports a keyword this vocabulary does not name, then a generic item is produced without the value', () => {
    const error = { keyword: 'multipleOf', instancePath: '/requestBody/x~1y', schemaPath: '#', params: { multipleOf: 2 }, data: 'SECRET' } as ErrorObject;
    expect(toErrorDetails([error])).toEqual([{ loc: ['body', 'x/y'], msg: 'invalid value', type: 'value_error.invalid' }]);
  });

  test('when openapi-backend re-parses a JSON string body, then its parse error (which quotes the body) is dropped', () => {
    const error = { keyword: 'parse', instancePath: '', schemaPath: '#/requestBody', params: {}, message: 'Unexpected token S in "SECRET"' } as unknown as ErrorObject;
    expect(toErrorDetails([error])).toEqual([]);
  });
});
