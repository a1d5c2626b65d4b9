import type { OperationHandler } from '../http/exchange';
import type { DocsDeps } from './getDocs';

export function getOpenApiYaml({ published }: DocsDeps): OperationHandler {
  return async () => ({ status: 200, contentType: 'application/yaml; charset=utf-8', body: await published('openapi.yaml') });
}
