import type { IncomingMessage } from 'node:http';
import { parse as parseContentType } from 'content-type';
import getRawBody from 'raw-body';
import { AppError } from '../errors';
import { findJsonHazard, MAX_DEPTH, type JsonHazard } from './jsonHazards';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * 415 unless the request sends one of the operation's media types (as the spec lists them for its
 * body) in UTF-8, uncompressed; 501 for a transfer coding other than chunked. Returns the media type.
 */
export function assertContent(req: IncomingMessage, accepted: readonly string[]): string {
  const expected = `content type must be ${accepted.join(' or ')}`;
  const unsupported = (msg: string, loc: string) =>
    new AppError('unsupported_media_type', [{ loc: ['header', loc], msg, type: 'value_error.content_type' }]);
  let mediaType: string;
  let charset: string | undefined;
  try {
    const parsed = parseContentType(req);
    mediaType = parsed.type;
    charset = parsed.parameters.charset;
  } catch {
    throw unsupported(expected, 'content-type');
  }
  if (!accepted.includes(mediaType)) throw unsupported(expected, 'content-type');
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
    throw unsupported('charset must be utf-8', 'content-type');
  }
  // RFC 9112: a transfer coding the server does not understand gets 501; Node decodes only
  // chunked and would hand over a gzip-coded body as if it were plain.
  const transfer = req.headers['transfer-encoding'];
  if (transfer !== undefined && transfer.trim().toLowerCase() !== 'chunked') {
    throw new AppError('not_implemented', [{ loc: ['header', 'transfer-encoding'], msg: 'only the chunked transfer coding is supported', type: 'value_error.transfer_encoding' }]);
  }
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    throw unsupported('content encoding is not supported', 'content-encoding');
  }
  return mediaType;
}

/** Reads the body, stopping at `limit` bytes while it streams in (413), never buffering more. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  try {
    return await getRawBody(req, { limit, length: req.headers['content-length'] });
  } catch (err) {
    const type = (err as { type?: unknown }).type;
    if (type === 'entity.too.large') {
      throw new AppError(
        'payload_too_large',
        [{ loc: ['body'], msg: `ensure the body has at most ${limit} bytes`, type: 'value_error.body.max_size', ctx: { limit_value: limit } }],
        {},
        { cause: err },
      );
    }
    if (type === 'request.aborted') {
      // The client went away mid-body (or was cut off by the request timeout): nothing to answer.
      throw new AppError('bad_request', [], {}, { cause: err });
    }
    if (type === 'request.size.invalid') {
      throw new AppError('malformed_json', [{ loc: ['body'], msg: 'body length does not match Content-Length', type: 'value_error.body.length' }], {}, { cause: err });
    }
    throw err;
  }
}

/** Decodes UTF-8 text (an HL7 v2 message). An empty body is `undefined`, reported as a missing body. */
export function decodeText(raw: Buffer): string | undefined {
  if (raw.length === 0) return undefined;
  try {
    return utf8.decode(raw);
  } catch (err) {
    throw new AppError('malformed_message', [{ loc: ['body'], msg: 'body is not valid UTF-8', type: 'value_error.hl7.parse' }], {}, { cause: err });
  }
}

/** Decodes UTF-8 JSON. An empty body is `undefined`, which validation reports as a missing body. */
export function decodeJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch (err) {
    throw new AppError('malformed_json', [{ loc: ['body'], msg: 'body is not valid UTF-8', type: 'value_error.jsondecode' }], {}, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // JSON.parse's own message quotes the body, which may hold patient data: it stays out of the reply.
    throw new AppError('malformed_json', [{ loc: ['body'], msg: 'body is not valid JSON', type: 'value_error.jsondecode' }], {}, { cause: err });
  }
  const hazard = findJsonHazard(text);
  if (hazard) throw new AppError('malformed_json', [{ loc: ['body'], msg: HAZARD_MESSAGES[hazard], type: `value_error.jsondecode.${hazard}` }]);
  return value;
}

const HAZARD_MESSAGES: Record<JsonHazard, string> = {
  duplicate_key: 'an object in the body repeats a key',
  forbidden_key: 'a field name is reserved (__proto__, constructor, prototype, or one starting with $)',
  too_deep: `the body nests objects or arrays more than ${MAX_DEPTH} levels deep`,
};
