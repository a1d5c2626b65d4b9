/**
 * The house rules, read from the code itself: imports run one way, there are no cycles, only the
 * store talks to the database, and the service stays on express and openapi-backend.
 *
 * The layers, from the top; a file may import its own layer or a lower one, never a higher one:
 *   entry → service → app → handlers → request pipeline → domain → store → shared leaves.
 *
 * The domain (idempotency, later input formats and appointment state) decides; the store keeps
 * what it is given. So the store knows the shape it stores but no domain rule: a value both need
 * (the instant a timestamp names) is a shared leaf, and the store declares the idempotency it
 * takes as plain digests.
 *
 * The shared leaves (config, the error vocabulary and its catalogue, timestamps, paths, the bounded map, logger, runtime,
 * metrics, the published documents, the local database launcher) import nothing above them, so
 * every layer may use them. src/client/ is the integrators' client: it stands alone, importing no
 * src file, and only the commands (src/cli/, the feed command reads through it as any consumer
 * would) import it. Outside src/, only generated/ (types from the contract) is used.
 *
 * `import type` counts like any import: it ties the importer to the shape of what it imports, and
 * a type-only cycle becomes a real one the day a value is imported along the same line.
 * A new file or folder in src/ fails the test until it is placed in a layer below.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/paths';
import {
  findCycles,
  importSpecifiers,
  packageImportsOutside,
  readSources,
  resolveImports,
  unplaced,
  upwardImports,
  type Layer,
} from './support/importGraph';

const LAYERS: readonly Layer[] = [
  { name: 'entry', members: ['src/server.ts', 'src/cluster/', 'src/cli/'] },
  { name: 'service', members: ['src/service.ts'] },
  { name: 'app', members: ['src/app.ts'] },
  { name: 'handlers', members: ['src/handlers/'] },
  { name: 'request pipeline', members: ['src/http/', 'src/auth/', 'src/limits/'] },
  { name: 'domain', members: ['src/idempotency.ts', 'src/inputs/', 'src/appointments/'] },
  { name: 'store', members: ['src/store/'] },
  {
    name: 'shared leaves',
    members: [
      'src/config.ts',
      'src/configParsers.ts',
      'src/errors.ts',
      'src/errorCatalogue.ts',
      'src/timestamp.ts',
      'src/paths.ts',
      'src/recentMap.ts',
      'src/repeat.ts',
      'src/logger.ts',
      'src/runtime.ts',
      'src/metrics.ts',
      'src/publishedDocs.ts',
      'src/localdb/',
    ],
  },
];
const STANDALONE = 'src/client/';
/** The only folder whose files may import the client. */
const CLIENT_USERS = 'src/cli/';
/** The only folders whose files may import the database driver. */
const DATABASE_DRIVER_USERS = ['src/store/', 'src/localdb/'];

const sources = readSources(PROJECT_ROOT, 'src');
const { graph, packages, outside, unresolved } = resolveImports(PROJECT_ROOT, sources);

describe('architecture', () => {
  test('when src/ is read, then every file is found and every relative import resolves to a file', () => {
    expect(sources.size).toBeGreaterThan(40);
    expect(graph.get('src/app.ts')).toContain('src/handlers/index.ts');
    expect(unresolved).toEqual([]);
  });

  test('when the imports among src modules are followed, then none leads back to where it started', () => {
    expect(findCycles(graph).map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  test('when a file is in src/, then it is placed in a layer (or is the stand-alone client)', () => {
    expect(unplaced(sources.keys(), [...LAYERS, { name: 'client', members: [STANDALONE] }])).toEqual([]);
  });

  test('when a module imports another, then the other is in its own layer or a lower one', () => {
    expect(upwardImports(graph, LAYERS)).toEqual([]);
  });

  test('when the client is read, then it imports no src file, and no src file but the commands imports it', () => {
    expect(clientCrossings(graph)).toEqual([]);
    expect(graph.get('src/cli/feedCli.ts')).toContain('src/client/consumerClient.ts');
  });

  test('when a src file imports from outside src/, then it is from generated/', () => {
    const elsewhere = [...outside].flatMap(([file, targets]) => targets.filter((t) => !t.startsWith('generated/')).map((t) => `${file} imports ${t}`));
    expect(elsewhere).toEqual([]);
  });

  test('when a module imports mongodb, then it is in the store or the local database launcher (never a handler)', () => {
    expect(packageImportsOutside(packages, 'mongodb', DATABASE_DRIVER_USERS)).toEqual([]);
  });

  test('when the app is wired, then it is on express and openapi-backend, both declared dependencies', () => {
    const { dependencies } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(packages.get('src/app.ts')).toContain('express');
    expect(packages.get('src/http/openapiBackend.ts')).toContain('openapi-backend');
    expect(Object.keys(dependencies)).toEqual(expect.arrayContaining(['express', 'openapi-backend']));
  });
});

/** Imports into or out of the client, but those of the commands. */
function clientCrossings(imports: ReadonlyMap<string, readonly string[]>): string[] {
  return [...imports].flatMap(([file, targets]) =>
    targets
      .filter((target) => file.startsWith(STANDALONE) !== target.startsWith(STANDALONE))
      .filter((target) => !(file.startsWith(CLIENT_USERS) && target.startsWith(STANDALONE)))
      .map((target) => `${file} imports ${target}`),
  );
}

describe('the architecture checks themselves', () => {
  const layers: Layer[] = [
    { name: 'top', members: ['top/'] },
    { name: 'bottom', members: ['bottom/', 'leaf.ts'] },
  ];

  test('when a source has imports of every kind, then each specifier is found once, and none in a comment or a string', () => {
    const source = [
      "import type { A } from './a';",
      "import {\n  b,\n  type C,\n} from './b';",
      "// import { z } from './commented';",
      "export { d } from './d';",
      "export type { E } from './e';",
      'const s = "import { x } from \'./inString\'";',
      "async function g() { await import('./g'); }",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual(['./a', './b', './d', './e', './g']);
  });

  test('when three modules import each other in a ring, then the cycle is reported as a path', () => {
    const ring = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['b.ts']],
    ]);
    expect(findCycles(ring)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  });

  test('when imports only share a target (a diamond), then there is no cycle', () => {
    const diamond = new Map([
      ['a.ts', ['b.ts', 'c.ts']],
      ['b.ts', ['d.ts']],
      ['c.ts', ['d.ts']],
      ['d.ts', []],
    ]);
    expect(findCycles(diamond)).toEqual([]);
  });

  test('when a lower layer imports a higher one, then that import is reported, and imports down or sideways are not', () => {
    const imports = new Map([
      ['top/a.ts', ['top/b.ts', 'bottom/c.ts']],
      ['bottom/c.ts', ['leaf.ts', 'top/a.ts']],
    ]);
    expect(upwardImports(imports, layers)).toEqual(['bottom/c.ts (bottom) imports top/a.ts (top), a layer above it']);
  });

  test('when the client imports a src file, or a file other than a command imports the client, then that import is reported', () => {
    const imports = new Map([
      ['src/client/c.ts', ['src/client/d.ts', 'src/config.ts']],
      ['src/cli/feed.ts', ['src/client/c.ts']],
      ['src/handlers/h.ts', ['src/client/c.ts']],
    ]);
    expect(clientCrossings(imports)).toEqual(['src/client/c.ts imports src/config.ts', 'src/handlers/h.ts imports src/client/c.ts']);
  });

  test('when a file is in no layer, then it is reported', () => {
    expect(unplaced(['top/a.ts', 'middle/new.ts'], layers)).toEqual(['middle/new.ts']);
  });

  test('when a handler imports the database driver, then it is reported, and the store is not', () => {
    const imports = new Map([
      ['src/handlers/h.ts', ['mongodb', 'mongodb/lib/bson', 'mongodb-connection-string-url']],
      ['src/store/s.ts', ['mongodb']],
    ]);
    expect(packageImportsOutside(imports, 'mongodb', DATABASE_DRIVER_USERS)).toEqual([
      "src/handlers/h.ts imports 'mongodb'",
      "src/handlers/h.ts imports 'mongodb/lib/bson'",
    ]);
  });
});
