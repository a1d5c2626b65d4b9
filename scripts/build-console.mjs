// Builds the operator console into dist/console: console/*.ts compiled to one classic script
// (console/tsconfig.json concatenates its "files" in order into dist/console/console.js), next to
// the page and its style sheet. The service serves these three files and nothing else at /console
// (src/handlers/getConsole.ts, getConsoleAsset.ts).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SOURCE = join(ROOT, 'console');
const OUT = join(ROOT, 'dist', 'console');
const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
execFileSync(tsc, ['-p', join(SOURCE, 'tsconfig.json')], { cwd: ROOT, stdio: 'inherit' });

// The reply types imported from generated/ are types only: tsc writes the one script and nothing else.
const written = readdirSync(OUT);
if (written.join() !== 'console.js') throw new Error(`build-console: tsc wrote ${written.join(', ') || 'nothing'}; expected console.js alone`);

for (const file of ['index.html', 'console.css']) copyFileSync(join(SOURCE, file), join(OUT, file));

// The page runs under script-src 'self': a module syntax or an inline script would not run.
const script = readFileSync(join(OUT, 'console.js'), 'utf8');
if (/^\s*(import|export)\b/m.test(script)) throw new Error('build-console: console.js is a module; it must stay a classic script');
const page = readFileSync(join(OUT, 'index.html'), 'utf8');
if (/<script(?![^>]*\bsrc=)/i.test(page) || /<style\b|\sstyle=/i.test(page)) throw new Error('build-console: index.html has an inline script or style, which the page policy forbids');
console.log(`console: ${OUT}`);
