/** Request headers as Node keeps every occurrence of each (IncomingMessage.headersDistinct). */
export type DistinctHeaders = NodeJS.Dict<string[]>;

export type KeyHeader = 'authorization' | 'x-api-key';

export type PresentedKey =
  | { ok: true; key: string; header: KeyHeader }
  | { ok: false; problem: 'missing' | 'malformed' | 'multiple'; header: KeyHeader };

const BEARER = /^Bearer +([^\s]+) *$/i;

/** The token of an `Authorization: Bearer <token>` header; undefined when absent or in another form. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
}

/**
 * The one bearer token of a request. Node keeps only the first of repeated Authorization
 * headers; a request that sends several is refused rather than judged by whichever came first.
 */
export function singleBearerToken(headers: DistinctHeaders): { token?: string; problem?: 'malformed' | 'multiple' } {
  const values = headers.authorization;
  if (!values) return {};
  if (values.length > 1) return { problem: 'multiple' };
  const token = bearerToken(values[0]);
  return token ? { token } : { problem: 'malformed' };
}

/**
 * The API key a request carries, as `Authorization: Bearer <key>` or `X-API-Key: <key>`. More
 * than one key (a header repeated, or the two headers naming different keys) is refused: the
 * partner speaking must never be a guess.
 */
export function presentedKey(headers: DistinctHeaders): PresentedKey {
  const bearer = singleBearerToken(headers);
  if (bearer.problem) return { ok: false, problem: bearer.problem, header: 'authorization' };

  const apiKeys = headers['x-api-key'];
  let fromApiKey: string | undefined;
  if (apiKeys) {
    if (apiKeys.length > 1) return { ok: false, problem: 'multiple', header: 'x-api-key' };
    const value = apiKeys[0]!.trim();
    if (value === '' || /[\s,]/.test(value)) return { ok: false, problem: 'malformed', header: 'x-api-key' };
    fromApiKey = value;
  }

  if (bearer.token !== undefined && fromApiKey !== undefined && bearer.token !== fromApiKey) {
    return { ok: false, problem: 'multiple', header: 'authorization' };
  }
  if (bearer.token !== undefined) return { ok: true, key: bearer.token, header: 'authorization' };
  if (fromApiKey !== undefined) return { ok: true, key: fromApiKey, header: 'x-api-key' };
  return { ok: false, problem: 'missing', header: 'authorization' };
}
