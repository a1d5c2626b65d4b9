import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The project root, found from here whether running from src/ (tests) or dist/src/ (built). */
function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'openapi.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('openapi.yaml not found above ' + start);
    dir = parent;
  }
  return dir;
}

export const PROJECT_ROOT = findRoot(__dirname);
export const SPEC_PATH = join(PROJECT_ROOT, 'openapi.yaml');
