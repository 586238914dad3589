// The package as npm publishes it: packed from this checkout, installed into an empty prefix, run in a fresh folder
// far from the repository (nothing of the clone is reachable from there).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-npm-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const npm = (args: string[], cwd: string) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });

describe('the npm package', () => {
  it('installs from its tarball into an empty prefix and runs vmplan --version and vmplan plan there', () => {
    const packed = JSON.parse(npm(['pack', REPO_ROOT, '--pack-destination', folder, '--json'], folder)) as {
      filename: string;
      files: { path: string }[];
    }[];
    const files = packed[0]!.files.map((file) => file.path);
    expect(files).toContain('bin/vmplan.js');
    expect(files).toContain('dist/cli/index.js');
    expect(files).toContain('guest/build-debian-guest.sh');
    // Only what the command needs: no sources, tests or the action's own bundles.
    expect(files.filter((path) => /^(src|test|bench|dist\/main|dist\/post)\//.test(path))).toEqual([]);

    const prefix = join(folder, 'prefix');
    // The bundle carries its dependencies: the install needs no registry.
    npm(['install', '--global', '--offline', '--prefix', prefix, join(folder, packed[0]!.filename)], folder);
    const installed = join(prefix, 'lib/node_modules/vmplan');
    expect(statSync(join(installed, 'guest/build-debian-guest.sh')).mode & 0o111).not.toBe(0);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest.dependencies ?? {}).toEqual({});

    const project = join(folder, 'fresh');
    mkdirSync(join(project, '.github'), { recursive: true });
    writeFileSync(
      join(project, '.github/vmplan.yml'),
      'version: 1\njobs:\n  lint: { run: "echo lint", executor: host }\n  test: { run: "echo test", needs: lint, executor: host }\n',
    );
    const vmplan = (args: string[]) =>
      execFileSync(join(prefix, 'bin/vmplan'), args, {
        cwd: project,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: folder },
      });
    expect(vmplan(['--version']).trim()).toBe(
      (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version,
    );
    const plan = vmplan(['plan']);
    expect(plan).toMatch(/2 job\(s\), 0 image\(s\), 2 stage\(s\)/);
    expect(JSON.parse(readFileSync(join(project, '.vmplan/plan.json'), 'utf8')).nodes).toHaveLength(2);
    expect(vmplan(['image', '--help'])).toContain('vmplan image build debian');
  });

  it('holds every file its README and docs link to (docs/, examples/, schema/, guest/)', () => {
    const packed = JSON.parse(npm(['pack', REPO_ROOT, '--dry-run', '--json'], folder)) as {
      files: { path: string }[];
    }[];
    const files = new Set(packed[0]!.files.map((file) => file.path));
    const folders = new Set(
      [...files].flatMap((path) =>
        path
          .split('/')
          .slice(0, -1)
          .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
      ),
    );
    const documents = [...files].filter((path) => path.endsWith('.md'));
    expect(documents).toEqual(expect.arrayContaining(['README.md', 'docs/security.md', 'docs/cli-json.md']));
    const broken: string[] = [];
    let links = 0;
    for (const document of documents) {
      const text = readFileSync(join(REPO_ROOT, document), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
        links++;
        const resolved = posix.normalize(posix.join(posix.dirname(document), target!)).replace(/\/$/, '');
        if (!files.has(resolved) && !folders.has(resolved)) broken.push(`${document} → ${target}`);
      }
    }
    expect(links).toBeGreaterThan(20);
    expect(broken).toEqual([]);
  });
});
