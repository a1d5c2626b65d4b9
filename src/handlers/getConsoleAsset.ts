import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, InternalFault } from '../errors';
import type { Handler } from '../http/context';
import { PROJECT_ROOT } from '../paths';

/** Where `npm run build` (scripts/build-console.mjs) puts the operator console. */
export const CONSOLE_DIR = join(PROJECT_ROOT, 'dist', 'console');

/** The console's files by name, each read once and kept; a missing one is a 500 that says how to build it. */
export type ConsoleFiles = (name: string) => Promise<string>;

export function consoleFiles(dir = CONSOLE_DIR): ConsoleFiles {
  const cache = new Map<string, Promise<string>>();
  return (name) => {
    let file = cache.get(name);
    if (!file) {
      file = readFile(join(dir, name), 'utf8').catch((err: unknown) => {
        // Not kept: the next request reads the file again (once it is built, say).
        cache.delete(name);
        throw new AppError('internal', [], {}, { cause: new InternalFault(`console/${name} is not built: run npm run build`, { cause: err }) });
      });
      cache.set(name, file);
    }
    return file;
  };
}

/** The console's script and style sheet; the spec's enum has already refused any other name. */
const ASSETS = {
  'console.js': 'text/javascript',
  'console.css': 'text/css',
} as const;

type AssetName = keyof typeof ASSETS;

function isAsset(name: string | undefined): name is AssetName {
  return name !== undefined && Object.hasOwn(ASSETS, name);
}

/** GET /console/{asset}: the console's script or style sheet, as built into dist/console. */
export function getConsoleAsset(files: ConsoleFiles = consoleFiles()): Handler<'getConsoleAsset'> {
  return async (ctx) => {
    const name = ctx.params.asset;
    if (!isAsset(name)) throw new AppError('not_found');
    const body = await files(name);
    return { status: 200, contentType: ASSETS[name], body };
  };
}
