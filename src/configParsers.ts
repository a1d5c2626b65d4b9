import proxyaddr from 'proxy-addr';

// How each kind of setting is read from the environment; config.ts says which settings there are.

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
  return value;
}

export function text(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
}

export function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name, fallback ? 'on' : 'off').toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(raw)) return true;
  if (['off', 'false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(name, 'must be on or off');
}

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60000, h: 3600000, d: 86400000 };

/** Parses durations such as 30s, 90m, 24h, 7d (at most 30 days). */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  return ms <= 30 * UNIT_MS.d! ? ms : undefined;
}

export function duration(env: Env, name: string, fallback: string): number {
  const ms = parseDuration(text(env, name, fallback));
  if (ms === undefined) throw new ConfigError(name, 'must be a duration such as 30s, 90m, 24h or 7d (at most 30d)');
  return ms;
}

export function mongodbUri(env: Env): string | undefined {
  const raw = env.MONGODB_URI?.trim();
  if (!raw) return undefined;
  if (!/^mongodb(\+srv)?:\/\/[^\s]+$/.test(raw)) {
    throw new ConfigError('MONGODB_URI', 'must be a mongodb:// or mongodb+srv:// connection string');
  }
  return raw;
}

/** An operators' bearer token (METRICS_TOKEN, OPERATOR_TOKEN): unset, or 16 to 256 visible ASCII characters. */
export function operatorSecret(env: Env, name: 'METRICS_TOKEN' | 'OPERATOR_TOKEN'): string | undefined {
  const token = env[name]?.trim();
  if (!token) return undefined;
  if (!/^[\x21-\x7e]{16,256}$/.test(token)) throw new ConfigError(name, 'must be 16 to 256 visible ASCII characters');
  return token;
}

export function databaseName(env: Env): string {
  const name = text(env, 'MONGODB_DB', 'appointment_webhooks');
  // MongoDB forbids these characters in database names, and caps the length at 63 bytes.
  // eslint-disable-next-line no-control-regex -- NUL is one of the forbidden characters
  if (!/^[^/\\. "$*<>:|?\x00]{1,63}$/.test(name)) {
    throw new ConfigError('MONGODB_DB', 'must be 1 to 63 characters without / \\ . " $ * < > : | ? or spaces');
  }
  return name;
}

export function trustProxy(env: Env): false | number | string[] {
  const raw = text(env, 'TRUST_PROXY', 'off').toLowerCase();
  if (['off', 'false', '0', 'no'].includes(raw)) return false;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 10) throw new ConfigError('TRUST_PROXY', 'must be off, a hop count from 1 to 10, or a list of proxy addresses and CIDR ranges');
    return hops;
  }
  if (raw === 'true' || raw === 'on' || raw === 'yes') {
    throw new ConfigError('TRUST_PROXY', 'cannot trust every hop: any client could then name any address; give a hop count or the proxies\' addresses');
  }
  const list = raw.split(',').map((entry) => entry.trim());
  try {
    if (list.some((entry) => entry === '')) throw new TypeError('empty entry');
    proxyaddr.compile(list);
  } catch {
    throw new ConfigError('TRUST_PROXY', 'must be off, a hop count from 1 to 10, or a comma-separated list of addresses and CIDR ranges (or loopback, linklocal, uniquelocal)');
  }
  return list;
}

function isLogLevel(level: string): level is LogLevel {
  return LOG_LEVELS.some((known) => known === level);
}

export function logLevel(env: Env): LogLevel {
  const level = text(env, 'LOG_LEVEL', 'info').toLowerCase();
  if (!isLogLevel(level)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return level;
}

/** An http(s) URL without a trailing slash, query or fragment: where partners reach the service. */
export function publicBaseUrl(env: Env): string | undefined {
  const raw = env.PUBLIC_BASE_URL?.trim();
  if (!raw) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  // Only a URL that reads back exactly as written (no backslash turned into a slash, no escape
  // added): it is written as it is into the published JSON, YAML and page.
  const exact = url !== undefined && (url.href === raw || url.href === `${raw}/`);
  if (!url || !exact || !['http:', 'https:'].includes(url.protocol) || url.search || url.hash || raw.endsWith('/') || /["'\\<>&\s]/.test(raw)) {
    throw new ConfigError('PUBLIC_BASE_URL', 'must be an http(s) URL without a trailing slash, query or fragment, such as https://webhooks.example.com');
  }
  return raw;
}

/** The support address the guide gives partners (the service requires it with a production database). */
export function supportEmail(env: Env): string | undefined {
  const raw = env.SUPPORT_EMAIL?.trim();
  if (!raw) return undefined;
  if (!/^[^\s@"'<>()\\,;:]{1,64}@[A-Za-z0-9.-]{1,253}$/.test(raw)) throw new ConfigError('SUPPORT_EMAIL', 'must be an email address');
  return raw;
}
