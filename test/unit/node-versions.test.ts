import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

// The Node versions package.json promises: `engines` for using vmplan (the bundle and what it bundles), and
// `devEngines` for developing it (every installed package). Both must be true of what is installed.

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  engines: { node: string };
  devEngines: { runtime: { name: string; version: string } };
};

/** Every installed package's name, version and `engines.node` (nested copies too). */
function installed(folder = 'node_modules'): { name: string; engines: string }[] {
  const found: { name: string; engines: string }[] = [];
  for (const entry of readdirSync(folder)) {
    if (entry.startsWith('.')) continue;
    const path = join(folder, entry);
    if (entry.startsWith('@')) {
      found.push(...installed(path));
      continue;
    }
    try {
      const manifest = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8'));
      const engines = manifest.engines?.node;
      if (typeof engines === 'string') found.push({ name: `${manifest.name}@${manifest.version}`, engines });
    } catch {
      // not a package (or no package.json): nothing to check
    }
    try {
      found.push(...installed(join(path, 'node_modules')));
    } catch {
      // no nested packages
    }
  }
  return found;
}

/** The packages src/ imports (and so the bundles carry). */
function bundled(folder = 'src'): Set<string> {
  const names = new Set<string>();
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    for (const [, specifier] of text.matchAll(/from '([^.'][^']*)'/g)) {
      if (specifier!.startsWith('node:')) continue;
      const parts = specifier!.split('/');
      names.add(specifier!.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
    }
  }
  return names;
}

describe('the Node versions package.json states', () => {
  it('developing: devEngines asks for a Node every installed package accepts', () => {
    expect(pkg.devEngines.runtime.name).toBe('node');
    const refusing = installed().filter(
      ({ engines }) =>
        semver.validRange(engines) !== null && !semver.subset(pkg.devEngines.runtime.version, engines),
    );
    expect(refusing).toEqual([]);
    // And it is not looser than needed: Node 20 is refused by what the tests use (Azurite, the Azure SDK).
    expect(semver.satisfies('20.19.0', pkg.devEngines.runtime.version)).toBe(false);
    expect(installed().some(({ engines }) => !semver.satisfies('20.19.0', engines))).toBe(true);
  });

  it('using: every package the bundles carry runs on the Node that engines names', () => {
    expect(pkg.engines.node).toBe('>=20');
    const names = bundled();
    expect(names).toContain('zod');
    const bundledEngines = installed().filter(({ name }) => names.has(name.slice(0, name.lastIndexOf('@'))));
    const refusing = bundledEngines.filter(({ engines }) => !semver.subset(pkg.engines.node, engines));
    expect(refusing).toEqual([]);
  });
});
