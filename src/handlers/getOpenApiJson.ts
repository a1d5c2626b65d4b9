import type { OperationHandler } from '../http/exchange';
import type { DocsDeps } from './getDocs';

export function getOpenApiJson({ published }: DocsDeps): OperationHandler {
  return async () => ({ status: 200, contentType: 'application/json; charset=utf-8', body: await published('openapi.json') });
}
