import { AppError } from '../errors';
import type { Handler } from '../http/context';

export interface ReadinessDeps {
  /** Resolves when the database answers a ping; rejects (with an AppError) when it does not. */
  pingDatabase: () => Promise<void>;
  /** True once shutdown has begun (or, with WORKERS, until every worker has started): a load balancer should not send traffic. */
  isStopping: () => boolean;
}

export function getReadiness({ pingDatabase, isStopping }: ReadinessDeps): Handler<'getReadiness'> {
  return async () => {
    if (isStopping()) throw new AppError('database_unavailable');
    await pingDatabase();
    return { status: 200, contentType: 'application/json', body: { status: 'ok' } };
  };
}
