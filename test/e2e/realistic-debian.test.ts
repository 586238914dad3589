// The slowest tier: a realistic Debian guest, built by `vmplan image build debian` as a cached build image, boots
// through the vfkit executor (+ test shim) and runs the test suite of a real open-source project — zlib, from
// Debian's source package — compiling it with gcc inside the VM.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runVmplan } from '../support/cli.js';
import { commandWorks, prerequisite } from '../support/prerequisites.js';
import { VFKIT_SHIM } from '../support/vm.js';

const ready = prerequisite(
  'root, mmdebstrap, mkfs.ext4, apt-get and qemu-system-x86_64 (the realistic Debian guest test)',
  process.getuid?.() === 0 &&
    commandWorks('mmdebstrap', ['--version']) &&
    commandWorks('mkfs.ext4', ['-V']) &&
    commandWorks('apt-get', ['--version']) &&
    commandWorks('qemu-system-x86_64', ['--version']),
);

const work = mkdtempSync(join(tmpdir(), 'vmplan-realistic-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Downloads a Debian source package's upstream tarball and unpacks it into `into` (deb-src, a private apt dir). */
function fetchDebianSource(name: string, into: string): string {
  const apt = join(work, 'apt');
  mkdirSync(join(apt, 'lists/partial'), { recursive: true });
  mkdirSync(join(apt, 'archives/partial'), { recursive: true });
  writeFileSync(join(apt, 'sources.list'), 'deb-src http://deb.debian.org/debian bookworm main\n');
  const options = [
    '-o',
    `Dir::Etc::SourceList=${apt}/sources.list`,
    '-o',
    'Dir::Etc::SourceParts=/dev/null',
    '-o',
    `Dir::State::Lists=${apt}/lists`,
    '-o',
    `Dir::Cache=${apt}`,
    '-o',
    'Debug::NoLocking=1',
    '-qq',
  ];
  const download = join(work, 'source');
  mkdirSync(download, { recursive: true });
  execFileSync('apt-get', [...options, 'update'], { stdio: 'ignore' });
  execFileSync('apt-get', [...options, 'source', '--download-only', name], {
    cwd: download,
    stdio: 'ignore',
  });
  const tarball = readdirSync(download).find((file) => file.includes('.orig.tar'));
  if (tarball === undefined) throw new Error(`no upstream tarball for ${name}`);
  mkdirSync(into, { recursive: true });
  execFileSync('tar', ['-xf', join(download, tarball), '-C', into, '--strip-components=1']);
  return tarball;
}

describe.skipIf(!ready)('a realistic Debian guest', () => {
  it(
    "builds the image once (cached), boots it and runs zlib's own test suite inside",
    async () => {
      const project = join(work, 'project');
      const tarball = fetchDebianSource('zlib', join(project, 'zlib'));
      writeFileSync(
        join(project, 'vmplan.yml'),
        `version: 1
images:
  debian:
    description: Debian bookworm with a C toolchain
    arch: amd64
    cpus: 2
    memory: 1536
    cmdline: quiet
    build:
      run: node --import ${REPO_ROOT}node_modules/tsx/dist/loader.mjs ${REPO_ROOT}src/cli.ts image build debian --arch amd64 --packages "gcc make libc6-dev" --size 4G --out "$VMPLAN_IMAGE_OUT"
defaults: { image: debian, executor: vfkit }
jobs:
  zlib:
    description: zlib's test suite (${tarball}), compiled and run in the guest
    working-directory: zlib
    timeout-minutes: 20
    run: |
      gcc --version | head -n 1
      ./configure
      make -j2 test
    artifacts: [zlib/libz.a]
`,
      );
      // A state folder that outlives the test, so a second local run reuses the built image (CI starts fresh).
      const state = join(REPO_ROOT, 'node_modules/.cache/vmplan-realistic-state');
      const result = await runVmplan(
        ['run', 'vmplan.yml', '--workspace', '.', '--vfkit-path', VFKIT_SHIM, '--state-dir', state],
        { cwd: project },
      );
      expect(result.code, result.stdout.slice(-4000) + result.stderr).toBe(0);
      const runId = /Run (\S+): passed/.exec(result.stdout)![1]!;
      const jobDir = join(state, 'runs', runId, 'jobs/zlib');
      const guestLog = readFileSync(join(jobDir, 'guest.log'), 'utf8');
      expect(guestLog).toMatch(/gcc \(Debian 12/);
      expect(guestLog).toContain('*** zlib test OK ***');
      expect(guestLog).toContain('*** zlib shared test OK ***');
      expect(readFileSync(join(jobDir, 'artifacts/zlib/libz.a')).subarray(0, 7).toString('latin1')).toBe(
        '!<arch>',
      );
      expect(JSON.parse(readFileSync(join(jobDir, 'status.json'), 'utf8'))).toMatchObject({
        status: 'passed',
        exitCode: 0,
      });
      // Keep the shared state small: this run's records are not needed afterwards.
      spawnSync(process.execPath, [
        '--import',
        `${REPO_ROOT}node_modules/tsx/dist/loader.mjs`,
        `${REPO_ROOT}src/cli.ts`,
        'gc',
        '--keep',
        '0',
        '--state-dir',
        state,
      ]);
    },
    25 * 60_000,
  );
});
