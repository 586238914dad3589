// The layers of docs/architecture.md, enforced: every import in src/ goes to its own layer or a lower one, and no
// two folders of a layer import each other. Type-only imports count too (they couple modules as much as values
// do), with one exception: the executor catalog names the contract its runtimes implement (interfaces only).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.js';
import { LAYERS, layerOf } from '../support/layers.js';

const SRC = join(REPO_ROOT, 'src');

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

/** One import of a source file: the file it names (relative to src/) and whether it is a dynamic import(). */
interface Edge {
  from: string;
  to: string;
  dynamic: boolean;
  typeOnly: boolean;
}

/** The one upward type-only import allowed: an executor descriptor names the contract its runtime implements. */
const isPlugInContract = (edge: Edge) =>
  edge.typeOnly && edge.to === 'executors/contract.ts' && layerOf(edge.from)!.name === 'catalogs';

function importsOf(file: string): Edge[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const edges: Edge[] = [];
  const statics = /^(?:import|export)\s(type\s)?[^;]*?from\s+'(\.[^']+)'/gms;
  const dynamics = /import\(\s*'(\.[^']+)'\s*\)/g;
  const target = (specifier: string) =>
    relative(SRC, resolve(dirname(join(SRC, file)), specifier)).replace(/\.js$/, '.ts');
  for (const match of text.matchAll(statics))
    edges.push({ from: file, to: target(match[2]!), dynamic: false, typeOnly: match[1] !== undefined });
  for (const match of text.matchAll(dynamics))
    edges.push({ from: file, to: target(match[1]!), dynamic: true, typeOnly: false });
  return edges;
}

const files = sourceFiles(SRC);
const edges = files.flatMap(importsOf);

describe('layers', () => {
  it('places every source file in a layer', () => {
    expect(files.filter((file) => layerOf(file) === undefined)).toEqual([]);
  });

  it('imports only from the same layer or a lower one', () => {
    const upward = edges
      .filter((edge) => !edge.dynamic)
      .filter((edge) => !isPlugInContract(edge))
      .filter((edge) => layerOf(edge.to)!.rank > layerOf(edge.from)!.rank)
      .map((edge) => `${edge.from} (${layerOf(edge.from)!.name}) → ${edge.to} (${layerOf(edge.to)!.name})`);
    expect(upward).toEqual([]);
  });

  it('loads a higher layer lazily only through an executor descriptor, from its own folder', () => {
    const misplaced = edges
      .filter((edge) => edge.dynamic && layerOf(edge.to)!.rank > layerOf(edge.from)!.rank)
      .filter(
        (edge) =>
          !/^executors\/[^/]+\/descriptor\.ts$/.test(edge.from) || dirname(edge.to) !== dirname(edge.from),
      )
      .map((edge) => `${edge.from} → ${edge.to}`);
    expect(misplaced).toEqual([]);
  });

  it('has no two folders of a layer importing each other', () => {
    // A folder's files count per layer (the executor catalog is not the executors' runtime); files at the top of
    // src/ count with their layer (errors.ts and version.ts are base, like util/).
    const folderOf = (file: string) =>
      `${layerOf(file)!.name}:${file.includes('/') ? file.split('/')[0]! : layerOf(file)!.name === 'base' ? 'util' : file}`;
    const pairs = new Set(
      edges
        .filter((edge) => !edge.dynamic && !isPlugInContract(edge))
        .map((edge) => `${folderOf(edge.from)}→${folderOf(edge.to)}`),
    );
    const cycles = [...pairs]
      .map((pair) => pair.split('→') as [string, string])
      .filter(([a, b]) => a !== b && a < b && pairs.has(`${b}→${a}`))
      .map(([a, b]) => `${a} ⇄ ${b}`);
    expect(cycles).toEqual([]);
  });

  it('the layer table names real folders (a renamed folder must not slip out of the rules)', () => {
    for (const layer of LAYERS) {
      for (const pattern of layer.paths) {
        expect(
          files.some((file) => pattern.test(file)),
          `${layer.name}: ${pattern}`,
        ).toBe(true);
      }
    }
  });
});
