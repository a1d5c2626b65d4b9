import type { Handler } from '../http/context';
import type { DocsDeps } from './getDocs';

export function getOpenApiYaml({ published }: DocsDeps): Handler<'getOpenApiYaml'> {
  return async () => ({ status: 200, contentType: 'application/yaml', body: await published.spec() });
}
