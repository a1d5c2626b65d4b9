import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, InternalFault } from './errors';
import { PROJECT_ROOT } from './paths';

/** Where `npm run docs` puts the documentation page and the bundled spec. */
export const DOCS_DIR = join(PROJECT_ROOT, 'dist', 'docs');

export type PublishedFile = 'index.html' | 'openapi.yaml' | 'openapi.json';

/** Reads a published file once and keeps it; a missing one is a 500 that says how to build it. */
export function publishedDocs(dir = DOCS_DIR): (name: PublishedFile) => Promise<Buffer> {
  const cache = new Map<PublishedFile, Promise<Buffer>>();
  return (name) => {
    let file = cache.get(name);
    if (!file) {
      file = readFile(join(dir, name)).catch((err: unknown) => {
        cache.delete(name);
        throw new AppError('internal', [], {}, { cause: new InternalFault(`${name} is not built: run npm run docs`, { cause: err }) });
      });
      cache.set(name, file);
    }
    return file;
  };
}
