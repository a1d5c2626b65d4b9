import type { Handler } from '../http/context';
import type { DocsDeps } from './getDocs';

export function getOpenApiJson({ published }: DocsDeps): Handler<'getOpenApiJson'> {
  return async () => ({ status: 200, contentType: 'application/json', body: await published.spec() });
}
