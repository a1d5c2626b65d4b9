import type { Handler } from '../http/context';

/** The process is up and serving HTTP; deliberately no database call. */
export function getLiveness(): Handler<'getLiveness'> {
  return () => Promise.resolve({ status: 200, contentType: 'application/json', body: { status: 'ok' } });
}
