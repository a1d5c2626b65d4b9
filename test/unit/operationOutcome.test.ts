import type { ErrorDetail } from '../../src/errors';
import { ERROR_TYPE_SYSTEM, fhirPath, operationOutcome } from '../../src/inputs/operationOutcome';

const item = (type: ErrorDetail['type'], loc: (string | number)[] = ['body', 'status'], msg = 'field required'): ErrorDetail => ({ loc, msg, type });

describe('fhirPath', () => {
  test.each([
    [['body', 'entry', 0, 'resource', 'participant', 1, 'actor'], undefined, 'Bundle.entry[0].resource.participant[1].actor'],
    [['body', 'participant', 1, 'actor'], undefined, 'Appointment.participant[1].actor'],
    [['body', 'meta', 'lastUpdated'], undefined, 'Appointment.meta.lastUpdated'],
    [['body', 'type'], 'Bundle', 'Bundle.type'],
    [['body', 'entry'], 'Bundle', 'Bundle.entry'],
    [['body', 'odd-name'], 'Appointment', 'Appointment.`odd-name`'],
    [['body', 'a`b\\c'], 'Appointment', 'Appointment.`a\\`b\\\\c`'],
  ] as const)('when the location is %j (root %s), then the expression is %s', (loc, root, expression) => {
    expect(fhirPath(loc, root)).toBe(expression);
  });

  test.each([[['body']], [['header', 'authorization']], [[]]])('when the location is %j, then there is no expression', (loc) => {
    expect(fhirPath(loc)).toBeUndefined();
  });
});

describe('operationOutcome', () => {
  test('when an item is rendered, then the issue keeps our type as a coding, the message as text and the location as FHIRPath', () => {
    const outcome = operationOutcome(422, 'Invalid payload structure', [item('value_error.missing', ['body', 'entry', 2, 'resource', 'start'], 'a booked Appointment needs its start')]);
    expect(outcome).toEqual({
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'required',
          details: { coding: [{ system: ERROR_TYPE_SYSTEM, code: 'value_error.missing' }], text: 'a booked Appointment needs its start' },
          expression: ['Bundle.entry[2].resource.start'],
        },
      ],
    });
  });

  test.each([
    ['value_error.missing', 422, 'required'],
    ['type_error.str', 422, 'structure'],
    ['type_error.enum', 422, 'code-invalid'],
    ['value_error.hl7.filler_status', 422, 'code-invalid'],
    ['value_error.any_str.max_length', 422, 'too-long'],
    ['value_error.any_str.min_length', 422, 'value'],
    ['value_error.idempotency_key_reused', 422, 'duplicate'],
    ['value_error.fhir.duplicate_entry', 422, 'duplicate'],
    ['auth_error.invalid_key', 401, 'security'],
    ['auth_error.partner_not_allowed', 403, 'forbidden'],
    ['rate_limit_exceeded', 429, 'throttled'],
    ['value_error.body.max_size', 413, 'too-long'],
    ['value_error.content_type', 415, 'not-supported'],
    ['value_error.jsondecode', 400, 'structure'],
    ['value_error.jsondecode.duplicate_key', 400, 'structure'],
    ['value_error.datetime', 422, 'invalid'],
    ['value_error.str.regex', 422, 'invalid'],
  ] as const)('when the item type is %s (status %d), then the issue code is %s', (type, status, code) => {
    expect(operationOutcome(status, 'm', [item(type)]).issue[0]?.code).toBe(code);
  });

  test('when the status is 5xx, then each issue is fatal; below, an error', () => {
    expect(operationOutcome(503, 'Service temporarily unavailable', []).issue).toEqual([{ severity: 'fatal', code: 'transient', details: { text: 'Service temporarily unavailable' } }]);
    expect(operationOutcome(500, 'Internal server error', []).issue[0]).toMatchObject({ severity: 'fatal', code: 'exception' });
    expect(operationOutcome(422, 'm', [item('value_error.missing')]).issue[0]?.severity).toBe('error');
  });

  test.each([
    [404, 'not-found'],
    [405, 'not-supported'],
    [409, 'transient'],
    [418, 'invalid'],
    [502, 'exception'],
  ])('when a %d reply has no items, then its one issue has code %s and the message as text', (status, code) => {
    expect(operationOutcome(status, 'the message', []).issue).toEqual([{ severity: status >= 500 ? 'fatal' : 'error', code, details: { text: 'the message' } }]);
  });

  test('when an item is outside the body, then it has no expression and the diagnostics name where it is', () => {
    const [issue] = operationOutcome(401, 'Unauthorized', [item('auth_error.missing_key', ['header', 'authorization'], 'no API key')]).issue;
    expect(issue?.expression).toBeUndefined();
    expect(issue?.diagnostics).toBe('header:authorization');
  });

  test('when several items are given, then there is one issue per item, in order, rooted at the declared resource type', () => {
    const outcome = operationOutcome(422, 'm', [item('value_error.missing', ['body', 'type']), item('type_error.enum', ['body', 'entry', 0, 'resource', 'status'])], 'Bundle');
    expect(outcome.issue.map((issue) => issue.expression)).toEqual([['Bundle.type'], ['Bundle.entry[0].resource.status']]);
  });
});
