import { AppError } from '../errors';
import type { OperationHandler, Reply } from '../http/exchange';

export interface ReadinessDeps {
  /** Resolves when the database answers a ping; rejects (with an AppError) when it does not. */
  pingDatabase: () => Promise<void>;
  /** True once shutdown has begun: a load balancer should stop sending traffic. */
  isStopping: () => boolean;
}

export function getReadiness({ pingDatabase, isStopping }: ReadinessDeps): OperationHandler {
  return async (): Promise<Reply> => {
    if (isStopping()) throw new AppError('database_unavailable');
    await pingDatabase();
    return { status: 200, body: { status: 'ok' } };
  };
}
