// The package as npm publishes it: packed from this checkout, installed into an empty prefix, run in a fresh folder
// far from the repository (nothing of the clone is reachable from there).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});
