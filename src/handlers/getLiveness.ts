import type { OperationHandler, Reply } from '../http/exchange';

/** The process is up and serving HTTP; deliberately no database call. */
export function getLiveness(): OperationHandler {
  return async (): Promise<Reply> => Promise.resolve({ status: 200, body: { status: 'ok' } });
}
