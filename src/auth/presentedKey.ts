import type { IncomingHttpHeaders } from 'node:http';

export type PresentedKey =
  | { ok: true; key: string; header: 'authorization' | 'x-api-key' }
  | { ok: false; problem: 'missing' | 'malformed'; header: 'authorization' | 'x-api-key' };

const BEARER = /^Bearer +([^\s]+) *$/i;

/** The token of an `Authorization: Bearer <token>` header; undefined when absent or in another form. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
}

/** The API key a request carries, as `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(headers: IncomingHttpHeaders): PresentedKey {
  const authorization = headers.authorization;
  const apiKeyHeader = headers['x-api-key'];
  const apiKey = Array.isArray(apiKeyHeader) ? apiKeyHeader.join(',') : apiKeyHeader;

  let fromAuthorization: string | undefined;
  if (authorization !== undefined) {
    fromAuthorization = bearerToken(authorization);
    if (!fromAuthorization) return { ok: false, problem: 'malformed', header: 'authorization' };
  }
  if (apiKey !== undefined && (apiKey.trim() === '' || /[\s,]/.test(apiKey.trim()))) {
    return { ok: false, problem: 'malformed', header: 'x-api-key' };
  }
  const fromApiKey = apiKey?.trim();

  if (fromAuthorization !== undefined && fromApiKey !== undefined && fromAuthorization !== fromApiKey) {
    // Two different keys: refuse rather than guess which partner is speaking.
    return { ok: false, problem: 'malformed', header: 'authorization' };
  }
  if (fromAuthorization !== undefined) return { ok: true, key: fromAuthorization, header: 'authorization' };
  if (fromApiKey !== undefined) return { ok: true, key: fromApiKey, header: 'x-api-key' };
  return { ok: false, problem: 'missing', header: 'authorization' };
}
