// The operator console's calls to this service: GET with the operator token, and the text of a
// failure, from the service's error envelope when it sent one. Part of the one classic script
// built from console/tsconfig.json's "files".

// Reply types from openapi.yaml (each file names the replies it reads from Schemas); `import('…')`
// types erase, so the console stays a plain script.
type Schemas = import('../generated/openapi').components['schemas'];
type ErrorResponse = Schemas['ErrorResponse'];

/** A reply other than 2xx, with the service's error envelope when it sent one. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly envelope: ErrorResponse | null,
    fallback: string,
  ) {
    super(describeFailure(status, envelope, fallback));
    this.name = 'ApiError';
  }
}

/** The token was refused or is not there: the page has asked for it again already. */
class TokenNeeded extends Error {
  constructor() {
    super('the operator token is needed');
    this.name = 'TokenNeeded';
  }
}

function isEnvelope(value: unknown): value is ErrorResponse {
  return typeof value === 'object' && value !== null && 'status' in value && value.status === 'error' && 'message' in value && typeof value.message === 'string' && 'errors' in value && Array.isArray(value.errors);
}

function describeFailure(status: number, envelope: ErrorResponse | null, fallback: string): string {
  const head = status === 0 ? fallback : `${status} ${envelope?.message ?? fallback}`;
  const details = (envelope?.errors ?? []).map((error) => {
    const where = Array.isArray(error.loc) ? error.loc.join('.') : '';
    const parts = [where, error.msg, error.type ? `(${error.type})` : ''].filter((part) => typeof part === 'string' && part !== '');
    return parts.join(' ');
  });
  return details.length > 0 ? `${head}: ${details.join('; ')}` : head;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function getJson(path: string, authenticated: boolean): Promise<unknown> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (authenticated) {
    const current = token();
    if (current === null) throw new TokenNeeded();
    headers.Authorization = `Bearer ${current}`;
  }
  let res: Response;
  try {
    res = await fetch(path, { headers, cache: 'no-store', credentials: 'omit', redirect: 'error' });
  } catch {
    throw new ApiError(0, null, 'The service did not answer.');
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (authenticated && res.status === 401) {
    forgetToken('The service refused the token (401). Enter the operator token again.');
    throw new TokenNeeded();
  }
  if (!res.ok) throw new ApiError(res.status, isEnvelope(body) ? body : null, res.statusText || 'Request failed');
  return body;
}

const operatorGet = <T>(path: string): Promise<T> => getJson(path, true) as Promise<T>;
