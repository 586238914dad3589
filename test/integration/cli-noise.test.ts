import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runVmplan, spawnVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';
import { testGuest } from '../support/vm.js';

// Output a new user should never have to read past: warnings from the guest builders' tools, a bare temporary
// path, a doubled word, text outside the --quiet box.

const GUEST = join(REPO_ROOT, 'guest', 'debian-kernel.sh');

describe('the guest builders', () => {
  it('tell apt to download as root when they run as root (no _apt sandbox warning)', () => {
    const bin = mkdtempSync(join(tmpdir(), 'vmplan-fake-apt-'));
    // apt-get and apt-cache that answer what vmplan_apt asks, as Debian's would.
    writeFileSync(join(bin, 'apt-get'), '#!/bin/sh\nexit 0\n');
    writeFileSync(
      join(bin, 'apt-cache'),
      '#!/bin/sh\ncase "$*" in *depends*) echo "  Depends: linux-image-6.1.0-1-arm64" ;; *) echo "  Candidate: 1.0" ;; esac\n',
    );
    chmodSync(join(bin, 'apt-get'), 0o755);
    chmodSync(join(bin, 'apt-cache'), 0o755);
    const options = execFileSync(
      'sh',
      ['-c', `. ${GUEST}; vmplan_apt arm64 "$1" && printf '%s' "$APT_OPTS"`, 'sh', join(bin, 'cache')],
      { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } },
    );
    const root = process.getuid?.() === 0;
    expect(options.includes('-o APT::Sandbox::User=root'), options).toBe(root);
  });

  it.skipIf(spawnSync('sh', ['-c', 'command -v depmod || test -x /sbin/depmod']).status !== 0)(
    'copy the kernel’s module lists so depmod finds everything it reads (no warning)',
    () => {
      const work = mkdtempSync(join(tmpdir(), 'vmplan-depmod-'));
      const modroot = join(work, 'kernel-root', 'lib', 'modules', '6.1.0-1-arm64');
      mkdirSync(modroot, { recursive: true });
      for (const file of ['modules.dep', 'modules.builtin', 'modules.builtin.modinfo', 'modules.order'])
        writeFileSync(join(modroot, file), '');
      const result = spawnSync(
        'sh',
        [
          '-c',
          `. ${GUEST}; KVER=6.1.0-1-arm64; MODROOT="$1"; DEPMOD=$(command -v depmod || echo /sbin/depmod); vmplan_copy_modules "$2" "virtio_blk"`,
          'sh',
          modroot,
          join(work, 'initramfs'),
        ],
        { encoding: 'utf8' },
      );
      expect([result.status, result.stderr]).toEqual([0, '']);
    },
  );
});

describe('vmplan image build --out', () => {
  it.skipIf(testGuest() === undefined)('prints no bare folder: the caller named it', async () => {
    const project = testProject('version: 1\njobs: {}\n');
    // The cache the global setup built the test guest in: this build is found there.
    const cache = join(REPO_ROOT, 'node_modules', '.cache', 'vmplan-test-guest');
    const built = await runVmplan(
      ['image', 'build', 'test-guest', '--arch', 'arm64', '--cache', cache, '--out', 'guest'],
      { cwd: project.root },
    );
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).toBe('');
    expect(built.stderr).toContain('build-test-guest: cached');
    expect(readFileSync(join(project.root, 'guest', 'kernel')).length).toBeGreaterThan(0);
  });
});

describe('a cancelled run', () => {
  it('says why once: "cancelled … — received SIGINT", never "cancelled: cancelled"', async () => {
    const project = testProject(
      'version: 1\ndefaults: { executor: host }\njobs:\n  slow: { run: "sleep 30" }\n  after: { needs: slow, run: "true" }\n',
    );
    const run = spawnVmplan(['run'], { cwd: project.root });
    await run.waitFor(/slow started/);
    run.child.kill('SIGINT');
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(130);
    expect(stdout + stderr).not.toMatch(/cancelled\W+cancelled/);
    expect(stdout).toMatch(/^\S+ ⊘ after cancelled: received SIGINT$/m);
    expect(stdout).toMatch(/^slow +cancelled +\S+( \S+)? +- +host +received SIGINT$/m);
    expect(stdout).toMatch(/: cancelled \(2 cancelled\) in [\d.]+ m?s — received SIGINT\n/);
  });
});

describe('vmplan run --quiet', () => {
  it('keeps a failed job’s multi-line test failure inside its box', async () => {
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  unit:
    run: |
      mkdir -p out
      printf '%s\\n' '<testsuite name="calc" tests="1" failures="1"><testcase classname="calc" name="adds" file="src/calc.ts" line="3"><failure message="expected 3&#10;to equal 4">AssertionError: expected 3&#13;to equal 4</failure></testcase></testsuite>' > out/junit.xml
      exit 1
    reports: { junit: [out/junit.xml] }
`);
    project.write('src/calc.ts', 'a\nb\nc\n');
    const { code, stdout } = await runVmplan(['run', '--quiet'], { cwd: project.root });
    expect(code).toBe(1);
    const box = stdout.slice(stdout.indexOf('unit failed'), stdout.indexOf('\nNODE'));
    const lines = box.split('\n').slice(1, -1);
    expect(lines.length).toBeGreaterThan(4);
    for (const line of lines) expect(line).toMatch(/^ {4}│ /);
    expect(box).toContain(
      '    │   src/calc.ts:3: error: expected 3 (test failed: calc › adds)\n    │       to equal 4\n',
    );
    expect(box).not.toMatch(/\r/);
  });
});
