import { readFile, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Writes a generated file; with --check on the command line, writes nothing and fails (exit 1)
 * when the committed file differs from what would be written.
 */
export async function writeGenerated(outPath, fresh, source) {
  const name = relative(ROOT, outPath);
  if (process.argv.includes('--check')) {
    const current = await readFile(outPath, 'utf8').catch(() => '');
    if (current !== fresh) {
      console.error(`${name} is stale: run \`npm run generate\` and commit the result.`);
      process.exit(1);
    }
    console.log(`${name} matches ${source}`);
  } else {
    await writeFile(outPath, fresh);
    console.log(`wrote ${name}`);
  }
}
