import { SetMatchType, ValidationContext, type OpenAPIBackend } from 'openapi-backend';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { OperationId } from './reply';

/** What is checked of a reply: what the service itself decided, status to headers. */
export interface SentReply {
  status: number;
  contentType: string;
  body: unknown;
  /** The headers the service set on purpose (not transport or helmet's generic ones). */
  headers: Record<string, string>;
}

export interface ContractViolation {
  operation: OperationId | null;
  status: number;
  /** Schema locations and keywords only: never a value from the reply. */
  problems: string[];
}

const describeError = (where: string) => (e: ErrorObject) => `${where}${e.instancePath} ${e.message ?? e.keyword}`;

/**
 * Checks replies against the operation's declared responses, as Connexion's validate_responses
 * does: the status is declared, the media type is one the status declares, a JSON body matches
 * its schema, and every header the service set is declared for that status. A reply to a request
 * that matched no operation must be an error envelope.
 */
export function replyContract(api: OpenAPIBackend): (operationId: OperationId | undefined, reply: SentReply) => string[] {
  const ajv = api.validator.getAjv(ValidationContext.Response);
  // The schema refers to its neighbours by #/components/…, so it is compiled inside them.
  const envelope = ajv.compile({ $ref: '#/components/schemas/ErrorResponse', components: api.document.components });
  const validators = new Map<object, ValidateFunction>();
  const compiled = (schema: object = {}): ValidateFunction => {
    let validate = validators.get(schema);
    if (!validate) validators.set(schema, (validate = ajv.compile({ ...schema, components: api.document.components })));
    return validate;
  };
  return (operationId, reply) => {
    if (operationId === undefined) {
      const problems = envelope(reply.body) ? [] : (envelope.errors ?? []).map(describeError('body'));
      if (reply.contentType !== 'application/json') problems.push(`${reply.contentType} is not the error envelope's media type`);
      return problems;
    }
    const operation = api.router.getOperation(operationId);
    const declared = operation?.responses?.[String(reply.status)];
    if (!operation || !declared) return [`status ${reply.status} is not declared`];
    const content = 'content' in declared ? declared.content : undefined;
    const problems: string[] = [];
    if (!content?.[reply.contentType]) {
      problems.push(`${reply.contentType} is not declared for status ${reply.status}`);
    } else if (reply.contentType === 'application/json') {
      const result = api.validator.validateResponse(reply.body, operation, reply.status);
      problems.push(...(result.errors ?? []).map(describeError('body')));
    } else {
      // The library validates only JSON bodies; other media types against their schema here.
      const validate = compiled(content[reply.contentType]?.schema);
      if (!validate(reply.body)) problems.push(...(validate.errors ?? []).map(describeError('body')));
    }
    const headers = api.validator.validateResponseHeaders(reply.headers, operation, { statusCode: reply.status, setMatchType: SetMatchType.Subset });
    problems.push(...(headers.errors ?? []).map((e) => (e.keyword === 'additionalProperties' ? `header ${String(e.params.additionalProperty)} is not declared` : describeError('header')(e))));
    return problems;
  };
}
