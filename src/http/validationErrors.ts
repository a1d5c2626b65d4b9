import type { ErrorObject } from 'ajv';
import { AppError, isErrorTypeOf, type ErrorDetail as AnyErrorDetail } from '../errors';

type ErrorDetail = AnyErrorDetail<'invalid_payload' | 'invalid_query'>;

/**
 * Turns Ajv errors from the spec's schemas into the guide's error items (the pydantic v1 vocabulary).
 * Only keywords and limits are read: a submitted value never reaches a message.
 *
 * openapi-backend validates `{ requestBody: <body> }`, so paths start with /requestBody,
 * which becomes "body" in `loc`.
 */
export function toErrorDetails(errors: readonly ErrorObject[]): ErrorDetail[] {
  const byLocation = new Map<string, { rank: number; detail: ErrorDetail }>();
  for (const error of errors) {
    const translated = translate(error);
    if (!translated) continue;
    const key = JSON.stringify(translated.detail.loc);
    const seen = byLocation.get(key);
    // One item per location: the most fundamental problem wins (missing, then wrong type, then the rest).
    if (!seen || translated.rank < seen.rank) byLocation.set(key, translated);
  }
  return [...byLocation.values()].map(({ detail }) => detail);
}

function locationOf(error: ErrorObject): (string | number)[] {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (segments[0] === 'requestBody') segments[0] = 'body';
  if (segments[0] === 'params') segments[0] = 'path';
  return segments;
}

/**
 * The error item a schema declares for a value its pattern or format refuses (x-error-type and
 * x-error-msg in the spec), in place of the generic one.
 */
function declaredError(error: ErrorObject): { type: ErrorDetail['type']; msg: string } | undefined {
  const parent: Record<string, unknown> | undefined = error.parentSchema;
  const type = parent?.['x-error-type'];
  const msg = parent?.['x-error-msg'];
  // A type the catalogue does not list would be sent undocumented: the generic item is sent instead
  // (and a test checks that every x-error-type of the spec is catalogued).
  return typeof type === 'string' && isErrorTypeOf(type, 'invalid_payload') && typeof msg === 'string' ? { type, msg } : undefined;
}

function translate(error: ErrorObject): { rank: number; detail: ErrorDetail } | undefined {
  const loc = locationOf(error);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      const at = missing === 'requestBody' && loc.length === 0 ? ['body'] : [...loc, missing];
      return { rank: 0, detail: { loc: at, msg: 'field required', type: 'value_error.missing' } };
    }
    case 'type':
      return { rank: 1, detail: typeError(loc, String(params.type)) };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      return {
        rank: 2,
        detail: {
          loc,
          msg: `value is not a valid enumeration member; permitted: ${allowed.map((v) => `'${v}'`).join(', ')}`,
          type: 'type_error.enum',
          ctx: { enum_values: allowed },
        },
      };
    }
    case 'format':
    case 'pattern': {
      const declared = declaredError(error);
      if (declared) return { rank: 2, detail: { loc, msg: declared.msg, type: declared.type } };
      if (error.keyword === 'pattern') {
        const pattern = String(params.pattern);
        return {
          rank: 3,
          detail: { loc, msg: `string does not match regex "${pattern}"`, type: 'value_error.str.regex', ctx: { pattern } },
        };
      }
      return { rank: 3, detail: { loc, msg: `invalid ${String(params.format)} format`, type: 'value_error.format' } };
    }
    case 'minimum':
    case 'maximum': {
      const limit = Number(params.limit);
      const below = error.keyword === 'minimum';
      return {
        rank: 3,
        detail: { loc, msg: `ensure this value is ${below ? 'greater' : 'less'} than or equal to ${limit}`, type: below ? 'value_error.number.not_ge' : 'value_error.number.not_le', ctx: { limit_value: limit } },
      };
    }
    case 'maxItems':
      return { rank: 3, detail: { loc, msg: `ensure this value has at most ${Number(params.limit)} items`, type: 'value_error.list.max_items', ctx: { limit_value: Number(params.limit) } } };
    case 'maxLength':
    case 'minLength': {
      const limit = Number(params.limit);
      const bound = error.keyword === 'maxLength' ? 'most' : 'least';
      return {
        rank: 3,
        detail: {
          loc,
          msg: `ensure this value has at ${bound} ${limit} characters`,
          type: `value_error.any_str.${error.keyword === 'maxLength' ? 'max_length' : 'min_length'}`,
          ctx: { limit_value: limit },
        },
      };
    }
    case 'const': {
      const allowed = [String(params.allowedValue)];
      return { rank: 2, detail: { loc, msg: `value is not a valid enumeration member; permitted: '${allowed[0]}'`, type: 'type_error.enum', ctx: { enum_values: allowed } } };
    }
    case 'if':
      // "must match the then schema": the errors of the then schema itself say what is wrong.
      return undefined;
    case 'parse':
      // The body is decoded before validation (http/body.ts); this is openapi-backend re-checking a JSON string body.
      return undefined;
    default:
      return { rank: 4, detail: { loc, msg: 'invalid value', type: 'value_error.invalid' } };
  }
}

function typeError(loc: (string | number)[], expected: string): ErrorDetail {
  if (expected.startsWith('object')) return { loc, msg: 'value is not a valid dict', type: 'type_error.dict' };
  if (expected.startsWith('string')) return { loc, msg: 'str type expected', type: 'type_error.str' };
  if (expected.startsWith('integer')) return { loc, msg: 'value is not a valid integer', type: 'type_error.integer' };
  return { loc, msg: `value is not a valid ${expected}`, type: 'type_error.invalid' };
}

/**
 * The error of a failed validation: a read's parameters are a query error (400), anything else
 * is the event's (422). Each item keeps its type when the code lists it, as the catalogue says.
 */
export function validationError(errors: readonly ErrorObject[]): AppError<'invalid_query'> | AppError<'invalid_payload'> {
  const details = toErrorDetails(errors);
  const generic = (d: ErrorDetail) => ({ loc: d.loc, msg: 'invalid value', type: 'value_error.invalid' as const });
  if (details.length > 0 && details.every((d) => d.loc[0] === 'query' || d.loc[0] === 'path')) {
    return new AppError('invalid_query', details.map((d) => (isErrorTypeOf(d.type, 'invalid_query') ? { ...d, type: d.type } : generic(d))));
  }
  return new AppError('invalid_payload', details.map((d) => (isErrorTypeOf(d.type, 'invalid_payload') ? { ...d, type: d.type } : generic(d))));
}
