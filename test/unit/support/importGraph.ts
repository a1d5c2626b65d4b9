/**
 * The import graph of src/ and the checks the architecture test runs on it. Paths are relative to
 * the project root with forward slashes (`src/store/eventStore.ts`); the checks take plain maps,
 * so they can be tried on a made-up graph as well as on the real one.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import ts from 'typescript';

/** file → the specifiers it imports, as written. */
export type Specifiers = ReadonlyMap<string, readonly string[]>;
/** file → the src files it imports. */
export type Graph = ReadonlyMap<string, readonly string[]>;

/**
 * Every module specifier in a source text: `import … from`, `import '…'`, `import type`,
 * `export … from`, `import('…')`, `require('…')` and `import x = require('…')`. TypeScript's own
 * scanner reads them, so an import inside a comment or a string is not one.
 */
export function importSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** The .ts files under `dir` (relative to `root`), each with the specifiers it imports. */
export function readSources(root: string, dir: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const walk = (relative: string): void => {
    for (const name of readdirSync(join(root, relative)).sort()) {
      const path = posix.join(relative, name);
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) found.set(path, importSpecifiers(readFileSync(join(root, path), 'utf8')));
    }
  };
  walk(dir);
  return found;
}

/** A relative specifier resolved the way the compiler does (`x.ts`, `x.d.ts`, `x/index.ts`); undefined when no file matches. */
export function resolveRelative(root: string, from: string, specifier: string): string | undefined {
  const base = posix.normalize(posix.join(posix.dirname(from), specifier));
  return [base, `${base}.ts`, `${base}.d.ts`, `${base}/index.ts`].find((p) => p.endsWith('.ts') && existsSync(join(root, p)));
}

export interface ResolvedImports {
  /** Imports between files of the tree that was read. */
  graph: Map<string, string[]>;
  /** Package imports (`mongodb`, `node:fs`), by file. */
  packages: Map<string, string[]>;
  /** Relative imports that leave the tree, resolved, by file (`generated/openapi.ts`). */
  outside: Map<string, string[]>;
  /** Problems: a relative import that matches no file. */
  unresolved: string[];
}

export function resolveImports(root: string, sources: Specifiers): ResolvedImports {
  const result: ResolvedImports = { graph: new Map(), packages: new Map(), outside: new Map(), unresolved: [] };
  for (const [file, specifiers] of sources) {
    const inTree: string[] = [];
    const packages: string[] = [];
    const outside: string[] = [];
    for (const specifier of specifiers) {
      if (!specifier.startsWith('.')) {
        packages.push(specifier);
        continue;
      }
      const target = resolveRelative(root, file, specifier);
      if (target === undefined) result.unresolved.push(`${file} imports '${specifier}', which is no file`);
      else if (sources.has(target)) inTree.push(target);
      else outside.push(target);
    }
    result.graph.set(file, inTree);
    result.packages.set(file, packages);
    result.outside.set(file, outside);
  }
  return result;
}

/** Import cycles, each as a path that ends where it starts (`a → b → a`); at least one per tangle. */
export function findCycles(graph: Graph): string[][] {
  const cycles = new Map<string, string[]>();
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    const at = stack.indexOf(file);
    if (at >= 0) {
      const cycle = stack.slice(at);
      // The same cycle found from another of its files is reported once, from its first file by name.
      const start = cycle.indexOf([...cycle].sort()[0]!);
      const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
      cycles.set(rotated.join(' → '), [...rotated, rotated[0]!]);
      return;
    }
    if (done.has(file)) return;
    stack.push(file);
    for (const next of graph.get(file) ?? []) visit(next);
    stack.pop();
    done.add(file);
  };
  for (const file of [...graph.keys()].sort()) visit(file);
  return [...cycles.values()];
}

/** A layer: files named exactly, or folders (ending in `/`) with everything under them. */
export interface Layer {
  name: string;
  members: readonly string[];
}

export function layerIndex(file: string, layers: readonly Layer[]): number {
  return layers.findIndex((layer) => layer.members.some((m) => (m.endsWith('/') ? file.startsWith(m) : file === m)));
}

/** Files that belong to no layer. */
export function unplaced(files: Iterable<string>, layers: readonly Layer[]): string[] {
  return [...files].filter((file) => layerIndex(file, layers) < 0);
}

/** Imports that go up: `layers` runs from the top, and a file may import its own layer or lower ones. */
export function upwardImports(graph: Graph, layers: readonly Layer[]): string[] {
  const problems: string[] = [];
  for (const [file, targets] of graph) {
    const own = layerIndex(file, layers);
    for (const target of targets) {
      const theirs = layerIndex(target, layers);
      if (own >= 0 && theirs >= 0 && theirs < own) {
        problems.push(`${file} (${layers[own]!.name}) imports ${target} (${layers[theirs]!.name}), a layer above it`);
      }
    }
  }
  return problems;
}

/** Imports of `pkg` (or its subpaths) from files not under one of `allowed`. */
export function packageImportsOutside(packages: Specifiers, pkg: string, allowed: readonly string[]): string[] {
  const problems: string[] = [];
  for (const [file, specifiers] of packages) {
    if (allowed.some((prefix) => file.startsWith(prefix))) continue;
    for (const s of specifiers) if (s === pkg || s.startsWith(`${pkg}/`)) problems.push(`${file} imports '${s}'`);
  }
  return problems;
}
