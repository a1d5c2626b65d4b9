import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { components } from '../generated/openapi';
import { AppError, InternalFault, isAppError } from './errors';
import { PROJECT_ROOT } from './paths';

/** Where `npm run docs` puts the documentation page and the bundled spec. */
export const DOCS_DIR = join(PROJECT_ROOT, 'dist', 'docs');

export type OpenApiDocument = components['schemas']['OpenApiDocument'];

export interface PublishedDocs {
  page(): Promise<string>;
  /** The bundled spec; served as JSON or YAML, as asked for. */
  spec(): Promise<OpenApiDocument>;
}

function isOpenApiDocument(value: unknown): value is OpenApiDocument {
  return typeof value === 'object' && value !== null && 'openapi' in value && typeof value.openapi === 'string';
}

/**
 * Reads each published file once, fills in this instance's settings (`fill`, see
 * http/docValues.ts) and keeps it; a missing file is a 500 that says how to build it.
 */
export function publishedDocs(fill: (text: string) => string, dir = DOCS_DIR): PublishedDocs {
  const cache = new Map<string, Promise<string>>();
  const text = (name: string): Promise<string> => {
    let file = cache.get(name);
    if (!file) {
      file = readFile(join(dir, name), 'utf8').then(fill, (err: unknown) => {
        cache.delete(name);
        throw new AppError('internal', [], {}, { cause: new InternalFault(`${name} is not built: run npm run docs`, { cause: err }) });
      });
      cache.set(name, file);
    }
    return file;
  };
  let json: Promise<OpenApiDocument> | undefined;
  return {
    page: () => text('index.html'),
    spec: () =>
      (json ??= text('openapi.json')
        .then((source) => {
          const parsed: unknown = JSON.parse(source);
          if (!isOpenApiDocument(parsed)) throw new InternalFault('openapi.json is not an OpenAPI document: run npm run docs');
          return parsed;
        })
        .catch((err: unknown) => {
          // Not kept: the next request reads the file again (once it is built, say).
          json = undefined;
          throw isAppError(err) ? err : new AppError('internal', [], {}, { cause: err });
        })),
  };
}
