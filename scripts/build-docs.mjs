// Builds the published documentation into dist/docs: the Redoc page (one self-contained HTML
// file) and the bundled spec (served as JSON and, converted, as YAML). Redoc's attribution logo is hard-wired to a CDN,
// and browsers ask for a favicon; both are pointed at inline data so the page loads nothing
// from any other host.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const OUT = join(ROOT, 'dist', 'docs');
const redocly = join(ROOT, 'node_modules', '.bin', 'redocly');
const run = (...args) => execFileSync(redocly, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });

run('build-docs', 'openapi.yaml', '--inlineBundle', '--openapi.disableGoogleFont=true', '--title', 'Appointment Events Webhook', '-o', join(OUT, 'index.html'));
run('bundle', 'openapi.yaml', '-o', join(OUT, 'openapi.json'));

const page = join(OUT, 'index.html');
const html = readFileSync(page, 'utf8')
  .replace(/https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini(-full)?\.svg/g, 'data:,')
  .replace('<head>', '<head><link rel="icon" href="data:,">');
if (/https:\/\/cdn\.redoc\.ly\/redoc\/logo/.test(html) || !html.includes('<link rel="icon" href="data:,">')) {
  throw new Error('build-docs: the page layout changed; check what it loads from other hosts');
}
writeFileSync(page, html);
console.log(`docs: ${page}, ${join(OUT, 'openapi.json')} (served as JSON and as YAML)`);
