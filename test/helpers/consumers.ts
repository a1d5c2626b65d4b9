import { generateConsumerToken, hashConsumerToken } from '../../src/auth/credentials';
import type { ConsumerStore } from '../../src/store/consumerStore';
import { send, type Reply } from './http';

let made = 0;

/** A consumer added the way the CLI adds one, with its token ready as an Authorization header. */
export async function aConsumer(consumers: Pick<ConsumerStore, 'add'>, options: { name?: string; partners?: string[] } = {}) {
  const token = generateConsumerToken();
  const name = options.name ?? `consumer-${process.pid}-${++made}`;
  await consumers.add(name, hashConsumerToken(token), options.partners ?? null);
  return { name, token, auth: { Authorization: `Bearer ${token}` } };
}

/** GET `path` (with its query) from `base` with these headers. */
export function read(base: string, path: string, headers: Record<string, string>): Promise<Reply> {
  return send(`${base}${path}`, { headers });
}
