import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { ErrorDetail } from '../errors';
import type { Loc } from './inputEvent';

/**
 * The FHIR route's error reply: our error items rendered as an R4 OperationOutcome, one issue per
 * item, our item type kept as a coding so a client can act on it as on the JSON reply. Pure; the
 * texts are the items' `msg`, which never hold a submitted value.
 */

type IssueCode = OperationOutcomeIssue['code'];

export const ERROR_TYPE_SYSTEM = 'https://appointment-webhooks.invalid/error-type';

/** Item types whose FHIR issue code is not the one their prefix gives. */
const CODE_OF_TYPE: ReadonlyMap<string, IssueCode> = new Map<string, IssueCode>([
  ['value_error.missing', 'required'],
  ['type_error.enum', 'code-invalid'],
  ['value_error.hl7.filler_status', 'code-invalid'],
  ['value_error.any_str.max_length', 'too-long'],
  ['value_error.any_str.min_length', 'value'],
  ['value_error.idempotency_key_reused', 'duplicate'],
  ['value_error.fhir.duplicate_entry', 'duplicate'],
  // A valid token that may not read this partner is not a failed authentication.
  ['auth_error.partner_not_allowed', 'forbidden'],
  ['rate_limit_exceeded', 'throttled'],
  ['value_error.body.max_size', 'too-long'],
  ['value_error.content_type', 'not-supported'],
  ['value_error.transfer_encoding', 'not-supported'],
]);

/** For a reply without items: the issue code its status gives. */
const CODE_OF_STATUS: ReadonlyMap<number, IssueCode> = new Map<number, IssueCode>([
  [400, 'structure'],
  [401, 'security'],
  [403, 'forbidden'],
  [404, 'not-found'],
  [405, 'not-supported'],
  [408, 'timeout'],
  [409, 'transient'],
  [413, 'too-long'],
  [415, 'not-supported'],
  [422, 'invalid'],
  [429, 'throttled'],
  [431, 'too-long'],
  [500, 'exception'],
  [501, 'not-supported'],
  [503, 'transient'],
]);

/** A FHIRPath name needs backticks unless it is a plain identifier. */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Within backticks, a backtick or backslash is escaped with a backslash. */
const DELIMITED_SPECIAL = /[\\`]/g;

function issueCode(type: string, status: number): IssueCode {
  const declared = CODE_OF_TYPE.get(type);
  if (declared) return declared;
  if (type.startsWith('type_error.') || type.startsWith('value_error.jsondecode')) return 'structure';
  if (type.startsWith('auth_error.')) return 'security';
  if (status === 503) return 'transient';
  return status >= 500 ? 'exception' : 'invalid';
}

/**
 * The FHIRPath of an item's location in the body: `['body', 'entry', 0, 'resource', 'status']`
 * gives `Bundle.entry[0].resource.status`. The root is `resourceType` when the caller knows it;
 * otherwise a location under `entry` is taken to be a Bundle's and any other an Appointment's.
 * Undefined for a location outside the body, or the body as a whole.
 */
export function fhirPath(loc: Loc, resourceType?: string): string | undefined {
  if (loc[0] !== 'body' || loc.length < 2) return undefined;
  let path = resourceType ?? (loc[1] === 'entry' ? 'Bundle' : 'Appointment');
  for (let i = 1; i < loc.length; i++) {
    const step = loc[i] as string | number;
    if (typeof step === 'number') path += `[${step}]`;
    else path += PLAIN_NAME.test(step) ? `.${step}` : `.\`${step.replace(DELIMITED_SPECIAL, '\\$&')}\``;
  }
  return path;
}

/** Where the item is, when not in the body: `header:<name>`, `query:<name>`, `path:<name>`. */
function outsideBody(loc: Loc): string | undefined {
  if (loc.length === 0 || loc[0] === 'body') return undefined;
  return `${String(loc[0])}:${loc.slice(1).map(String).join('.')}`;
}

function coded(type: string, msg: string): OperationOutcomeIssue['details'] {
  return { coding: [{ system: ERROR_TYPE_SYSTEM, code: type }], text: msg };
}

/**
 * The OperationOutcome for an error reply of `status` with the code's fixed `message`. Severity is
 * `fatal` for 5xx (nothing was done, retry), `error` otherwise.
 */
export function operationOutcome(status: number, message: string, errors: readonly ErrorDetail[], resourceType?: string): OperationOutcome {
  const severity = status >= 500 ? 'fatal' : 'error';
  if (errors.length === 0) {
    return { resourceType: 'OperationOutcome', issue: [{ severity, code: CODE_OF_STATUS.get(status) ?? (status >= 500 ? 'exception' : 'invalid'), details: { text: message } }] };
  }
  const issue = errors.map((error): OperationOutcomeIssue => {
    const result: OperationOutcomeIssue = { severity, code: issueCode(error.type, status), details: coded(error.type, error.msg) };
    const expression = fhirPath(error.loc, resourceType);
    if (expression !== undefined) result.expression = [expression];
    const diagnostics = outsideBody(error.loc);
    if (diagnostics !== undefined) result.diagnostics = diagnostics;
    return result;
  });
  return { resourceType: 'OperationOutcome', issue };
}
