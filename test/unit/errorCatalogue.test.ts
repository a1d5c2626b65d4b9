import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, ERROR_TYPES, type ErrorCode } from '../../src/errorCatalogue';
import { RETRYABLE } from '../../src/client/receiverClient';
import { isErrorTypeOf } from '../../src/errors';
import { PROJECT_ROOT } from '../../src/paths';
import { spec } from '../helpers/spec';

type Operation = { operationId: string; security?: Record<string, string[]>[]; requestBody?: unknown; parameters?: ({ in: string } | { $ref: string })[]; responses: Record<string, unknown> };

function operations(): Operation[] {
  return Object.values<Record<string, Operation>>(spec.paths).flatMap((item) => Object.values(item).filter((op) => typeof op === 'object' && op.operationId));
}

/**
 * Which codes each step of the pipeline can end a request with (src/app.ts, src/http/*): a step
 * an operation goes through adds its codes, and every one must be a declared status.
 */
const EVERY_REQUEST: ErrorCode[] = ['bad_request', 'internal', 'method_not_allowed'];
// A signed body is read (and may be too large) during authentication: REQUEST_BODY has that code.
const PARTNER_AUTHENTICATION: ErrorCode[] = ['unauthorized', 'rate_limited', 'database_unavailable'];
const OPERATOR_TOKEN: ErrorCode[] = ['unauthorized', 'rate_limited'];
const CONSUMER_TOKEN: ErrorCode[] = ['unauthorized', 'rate_limited', 'database_unavailable'];
const REQUEST_BODY: ErrorCode[] = ['unsupported_media_type', 'not_implemented', 'malformed_json', 'payload_too_large', 'invalid_payload', 'request_timeout'];
/** A header parameter is part of a delivery (422); a query or path parameter is a read's (400). */
const HEADER_PARAMETERS: ErrorCode[] = ['invalid_payload'];
const QUERY_PARAMETERS: ErrorCode[] = ['invalid_query'];
/** What the handlers themselves throw (src/handlers/*, and the store they call). */
const HANDLERS: Record<string, ErrorCode[]> = {
  receiveAppointmentEvent: ['database_unavailable', 'idempotency_key_reused', 'idempotency_in_progress', 'invalid_payload'],
  // The HL7 reader (src/inputs/hl7v2.ts) refuses text that is no message: malformed_message.
  receiveHl7v2Message: ['database_unavailable', 'idempotency_key_reused', 'idempotency_in_progress', 'invalid_payload', 'malformed_message'],
  receiveFhirAppointment: ['database_unavailable', 'idempotency_key_reused', 'idempotency_in_progress', 'invalid_payload'],
  getReadiness: ['database_unavailable'],
  // readScope.ts: a partner outside the token is 403.
  listEvents: ['database_unavailable', 'invalid_query', 'forbidden'],
  getEvent: ['database_unavailable', 'not_found'],
  readFeed: ['database_unavailable', 'invalid_query'],
  getAppointment: ['database_unavailable', 'not_found', 'forbidden'],
  listDeliveries: ['database_unavailable', 'invalid_query'],
  getPartnerEvent: ['database_unavailable', 'not_found'],
  findPartnerEvent: ['database_unavailable', 'not_found'],
  getOperatorSummary: ['database_unavailable'],
  listOperatorDeliveries: ['database_unavailable', 'invalid_query'],
  getOperatorEvent: ['database_unavailable', 'not_found'],
  getOperatorAppointment: ['database_unavailable', 'not_found'],
  getConsoleAsset: ['not_found'],
};

function producible(op: Operation): Set<ErrorCode> {
  const schemes = (op.security ?? []).flatMap((requirement) => Object.keys(requirement));
  return new Set([
    ...EVERY_REQUEST,
    ...(schemes.some((s) => s === 'bearerAuth' || s === 'apiKeyHeader') ? PARTNER_AUTHENTICATION : []),
    ...(schemes.includes('metricsToken') || schemes.includes('operatorToken') ? OPERATOR_TOKEN : []),
    ...(op.requestBody ? REQUEST_BODY : []),
    ...(schemes.includes('consumerToken') ? CONSUMER_TOKEN : []),
    ...((op.parameters ?? []).some((p) => 'in' in p && p.in === 'header') ? HEADER_PARAMETERS : []),
    ...((op.parameters ?? []).some((p) => !('in' in p) || p.in !== 'header') ? QUERY_PARAMETERS : []),
    ...(HANDLERS[op.operationId] ?? []),
  ]);
}

describe('the error catalogue', () => {
  test.each(operations().map((op) => [op.operationId, op] as const))('when %s can end in an error, then the spec declares its status', (_id, op) => {
    const undeclared = [...producible(op)].filter((code) => !(String(ERROR_CODES[code].status) in op.responses));
    expect(undeclared).toEqual([]);
  });

  test.each(operations().map((op) => [op.operationId] as const))('when the %s handler throws an error itself, then the model above knows the code', (id) => {
    const source = readFileSync(join(PROJECT_ROOT, 'src', 'handlers', `${id}.ts`), 'utf8');
    const thrown = [...source.matchAll(/new AppError\('([a-z_]+)'/g)].map((m) => m[1]);
    const known = new Set<string>([...EVERY_REQUEST, ...(HANDLERS[id] ?? [])]);
    expect(thrown.filter((code) => !known.has(code!))).toEqual([]);
  });

  test('when the spec declares an x-error-type, then the catalogue lists it under invalid_payload', () => {
    const declared = new Set<string>();
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(visit);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'x-error-type' && typeof value === 'string') declared.add(value);
          else visit(value);
        }
      }
    };
    visit(spec);
    expect(declared.size).toBeGreaterThan(0);
    for (const type of declared) expect([type, isErrorTypeOf(type, 'invalid_payload')]).toEqual([type, true]);
  });

  test('when an error response example shows a message, then it is the message the catalogue gives its status', () => {
    const messagesByStatus = new Map<number, string[]>();
    for (const code of Object.values(ERROR_CODES)) messagesByStatus.set(code.status, [...(messagesByStatus.get(code.status) ?? []), code.message]);
    const examples = Object.entries<any>(spec.components.responses).filter(([, r]) => r.content?.['application/json']?.example?.status === 'error');
    expect(examples.length).toBeGreaterThan(5);
    for (const [name, response] of examples) {
      const statuses = operations().flatMap((op) => Object.entries<any>(op.responses).filter(([, r]) => r.$ref === `#/components/responses/${name}`).map(([status]) => Number(status)));
      for (const status of new Set(statuses)) expect([name, status, messagesByStatus.get(status)]).toEqual([name, status, expect.arrayContaining([response.content['application/json'].example.message])]);
    }
  });

  test('when an example error item shows a type, then the catalogue lists that type', () => {
    const items = Object.values<any>(spec.components.responses).flatMap((r) => r.content?.['application/json']?.example?.errors ?? []);
    expect(items.length).toBeGreaterThan(3);
    for (const item of items) expect(Object.keys(ERROR_TYPES)).toContain(item.type);
  });

  test('when the guide is built, then it includes the generated catalogue, which lists every type', () => {
    const catalogue = readFileSync(join(PROJECT_ROOT, 'docs', 'error-catalogue.md'), 'utf8');
    expect(catalogue).toMatch(/^<!-- @generated/);
    for (const type of Object.keys(ERROR_TYPES)) expect(catalogue).toContain(`| \`${type}\` |`);
    const tag = spec.tags.find((t: any) => t.description?.$ref === 'docs/error-catalogue.md');
    expect(tag).toBeDefined();
  });

  test('when the catalogue says a status is worth retrying, then the client, every sample and the guide retry it, and nothing it says to fix', () => {
    const retryable = [...new Set(Object.values(ERROR_CODES).filter((c) => c.retry !== 'no').map((c) => c.status))].sort();
    const fix = [...new Set(Object.values(ERROR_CODES).filter((c) => c.retry === 'no').map((c) => c.status))];
    expect(retryable.length).toBeGreaterThan(3);
    for (const status of retryable) expect([status, RETRYABLE.has(status)]).toEqual([status, true]);
    for (const status of fix) expect([status, RETRYABLE.has(status)]).toEqual([status, false]);
    const samples: { label: string; source: string }[] = spec.paths['/webhook/appointment'].post['x-codeSamples'];
    for (const { label, source } of samples) {
      const listed = (source.match(/\b[45]\d\d\b/g) ?? []).map(Number);
      for (const status of retryable) expect([label, status, listed.includes(status)]).toEqual([label, status, true]);
    }
    const guide = readFileSync(join(PROJECT_ROOT, 'docs', 'errors.md'), 'utf8');
    const summary = /retry ([\d, ]+) \(after/.exec(guide)?.[1]?.split(', ').map(Number);
    expect(summary).toEqual(retryable);
  });
});
