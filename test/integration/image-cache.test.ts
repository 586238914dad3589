import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { filesNamedIn } from '../../src/images/cache.js';
import { REPO_ROOT } from '../support/cli.js';
import { prepareFirstImage } from '../support/prepare-image.js';
import { commandWorks, prerequisite } from '../support/prerequisites.js';
import { testGuest } from '../support/vm.js';

const guest = testGuest();
/** This machine in nix's terms (flakes evaluate purely: no builtins.currentSystem). */
const NIX_SYSTEM = `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux`;
const folder = mkdtempSync(join(tmpdir(), 'vmplan-image-cache-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A repository with a build image whose command copies the test guest and counts its runs. */
function project(name: string, extra = '') {
  const root = join(folder, name);
  mkdirSync(join(root, 'images'), { recursive: true });
  writeFileSync(join(root, 'images/recipe.txt'), 'v1\n');
  const counter = join(root, 'builds.log');
  const yaml = `version: 1
images:
  guest:
    arch: arm64
    build:
      run: |
        echo built >> ${counter}
        sleep \${BUILD_SECONDS:-0}
        cp ${guest}/kernel ${guest}/initrd "$VMPLAN_IMAGE_OUT/"
      inputs: [images/**]
${extra}
jobs:
  boot: { run: "true", image: guest, executor: qemu }
`;
  const builds = () =>
    existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0;
  return { root, state: join(root, '.vmplan'), yaml, builds };
}

/**
 * Removes the cache entry a prepare logged and leaves in its place the lock of a builder that died mid-build
 * (a pid no process has, on this host). Returns the lock folder.
 */
function plantDeadBuildersLock(state: string, prepareLog: string): string {
  const key = /key ([0-9a-f]{32})/.exec(prepareLog)![1]!;
  rmSync(join(state, 'cache/images', key), { recursive: true });
  const lock = join(state, 'cache/images', `${key}.lock`);
  mkdirSync(lock, { recursive: true });
  writeFileSync(
    join(lock, 'owner.json'),
    JSON.stringify({ pid: 2 ** 22 - 7, hostname: hostname(), startedAt: '2026-01-01T00:00:00Z' }),
  );
  return lock;
}

describe.skipIf(guest === undefined)('image preparation and its cache', () => {
  it('builds once, then serves the cache in milliseconds; a changed definition or input rebuilds', async () => {
    const p = project('hit-miss');
    // The first build takes at least 2 s, so the hit is timed against it on the same machine (a ratio: a fixed
    // bound in ms is what a busy machine breaks).
    process.env.BUILD_SECONDS = '2';
    const first = await prepareFirstImage(p.root, p.state, p.yaml).finally(() => {
      delete process.env.BUILD_SECONDS;
    });
    expect(first).toMatchObject({ status: 'passed', cached: false });
    expect(first.log).toMatch(/image "guest" built in [\d.]+ s and cached \(key [0-9a-f]{32}\)/);
    const second = await prepareFirstImage(p.root, p.state, p.yaml);
    expect(second).toMatchObject({ status: 'passed', cached: true });
    expect(second.image?.kernel).toBe(first.image?.kernel);
    expect(first.ms).toBeGreaterThanOrEqual(2_000);
    expect(second.ms).toBeLessThan(first.ms / 4);
    expect(p.builds()).toBe(1);

    writeFileSync(join(p.root, 'images/recipe.txt'), 'v2\n');
    expect(await prepareFirstImage(p.root, p.state, p.yaml)).toMatchObject({ cached: false });
    expect(p.builds()).toBe(2);
    expect(
      await prepareFirstImage(p.root, p.state, p.yaml.replace('sleep', 'sleep 0 &&  sleep')),
    ).toMatchObject({ cached: false });
    expect(p.builds()).toBe(3);
    // cpus and memory do not make another image.
    expect(
      await prepareFirstImage(p.root, p.state, p.yaml.replace('arch: arm64', 'arch: arm64\n    cpus: 4')),
    ).toMatchObject({ cached: true });
  });

  /** Prepares the first image of a jobs file in a separate vmplan process (as concurrent runs do). */
  const prepareInProcess = (p: ReturnType<typeof project>, jobsFile: string) =>
    new Promise<{ status: string; cached: boolean; log: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          `${REPO_ROOT}node_modules/tsx/dist/loader.mjs`,
          `${REPO_ROOT}test/support/prepare-image.ts`,
          p.root,
          p.state,
          jobsFile,
        ],
        { env: { ...process.env, BUILD_SECONDS: '2' }, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
      });
      child.on('close', (code) =>
        code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}`)),
      );
    });

  it('keys a build on the repository files its command names, not on those it writes', () => {
    const root = join(folder, 'named');
    mkdirSync(join(root, 'scripts'), { recursive: true });
    for (const file of ['scripts/make.sh', 'out.log', 'also.log', 'notes.txt'])
      writeFileSync(join(root, file), 'x');
    expect(
      filesNamedIn(
        'bash scripts/make.sh --fast notes.txt > out.log 2>&1 | tee -a also.log; ./missing.sh ../outside',
        root,
      ),
    ).toEqual(['notes.txt', 'scripts/make.sh']);
  });

  it('lets concurrent runs build a key once: the others wait, then use it', async () => {
    const p = project('concurrent');
    const jobsFile = join(p.root, 'vmplan.yml');
    writeFileSync(jobsFile, p.yaml);
    const run = () => prepareInProcess(p, jobsFile);
    const results = await Promise.all([run(), run(), run()]);
    expect(results.map((r) => r.status)).toEqual(['passed', 'passed', 'passed']);
    expect(results.filter((r) => !r.cached)).toHaveLength(1);
    expect(results.filter((r) => r.log.includes('which is building this image'))).toHaveLength(2);
    expect(p.builds()).toBe(1);
  });

  it('takes over the lock of a builder that died', async () => {
    const p = project('stale');
    const first = await prepareFirstImage(
      p.root,
      p.state,
      p.yaml.replace('guest:', 'guest:\n    description: first'),
    );
    const lock = plantDeadBuildersLock(p.state, first.log);
    const outcome = await prepareFirstImage(
      p.root,
      p.state,
      p.yaml.replace('guest:', 'guest:\n    description: first'),
    );
    expect(outcome).toMatchObject({ status: 'passed', cached: false });
    expect(existsSync(lock)).toBe(false);
  });

  it("of several runs waiting on a dead builder's lock, exactly one takes over and builds", async () => {
    const p = project('stale-race');
    const jobsFile = join(p.root, 'vmplan.yml');
    writeFileSync(jobsFile, p.yaml);
    const first = await prepareInProcess(p, jobsFile);
    plantDeadBuildersLock(p.state, first.log);
    const before = p.builds();
    const results = await Promise.all([1, 2, 3, 4].map(() => prepareInProcess(p, jobsFile)));
    expect(results.map((r) => r.status)).toEqual(['passed', 'passed', 'passed', 'passed']);
    expect(results.filter((r) => !r.cached)).toHaveLength(1);
    expect(p.builds()).toBe(before + 1);
  });

  it('reports a build that fails, produces nothing, or makes a kernel vfkit cannot boot', async () => {
    const failing = project('failing');
    expect(
      await prepareFirstImage(
        failing.root,
        failing.state,
        failing.yaml.replace('echo built', 'exit 4; echo built'),
      ),
    ).toMatchObject({
      status: 'failed',
      message: 'the image build command exited with 4',
    });
    const empty = await prepareFirstImage(
      failing.root,
      failing.state,
      failing.yaml.replace(/cp .* "\$VMPLAN_IMAGE_OUT\/"/, 'true'),
    );
    expect(empty.message).toBe(
      'the build command did not produce kernel and initrd (expected in $VMPLAN_IMAGE_OUT or the nix output)',
    );
    const gzipped = await prepareFirstImage(
      failing.root,
      failing.state,
      failing.yaml
        .replace(
          /cp .* "\$VMPLAN_IMAGE_OUT\/"/,
          `gzip -c ${guest}/kernel > "$VMPLAN_IMAGE_OUT/kernel"; cp ${guest}/initrd "$VMPLAN_IMAGE_OUT/"`,
        )
        .replace('executor: qemu', 'executor: vfkit'),
    );
    expect(gzipped.message).toMatch(
      /kernel is not an uncompressed arm64 Image \(found gzip\); vfkit boots only uncompressed kernels/,
    );
  });

  it.skipIf(!prerequisite('nix (apt-get install nix-bin)', commandWorks('nix', ['--version'])))(
    'builds a nix image from a flake, and caches it',
    async () => {
      const p = project('nix');
      for (const file of ['kernel', 'initrd']) copyFileSync(join(guest!, file), join(p.root, file));
      writeFileSync(
        join(p.root, 'flake.nix'),
        `{
  outputs = { self }: {
    packages.${NIX_SYSTEM}.guest = derivation {
      name = "vmplan-test-image";
      system = "${NIX_SYSTEM}";
      builder = "/bin/sh";
      args = [ "-c" "/bin/mkdir $out && /bin/cp \${./kernel} $out/kernel && /bin/cp \${./initrd} $out/initrd" ];
    };
  };
}
`,
      );
      // This machine's nix runs without build users, sandbox or binary caches (no network to them).
      process.env.NIX_CONFIG = 'sandbox = false\nbuild-users-group =\nsubstituters =\n';
      const yaml =
        'version: 1\nimages:\n  guest: { arch: arm64, nix: "path:.#guest" }\njobs:\n  boot: { run: "true", image: guest, executor: qemu }\n';
      const built = await prepareFirstImage(p.root, p.state, yaml);
      expect(built, built.log).toMatchObject({ status: 'passed', cached: false });
      expect(built.image!.kernel).toMatch(/\/result\/kernel$/);
      expect(readFileSync(built.image!.initrd).equals(readFileSync(join(guest!, 'initrd')))).toBe(true);
      expect(await prepareFirstImage(p.root, p.state, yaml)).toMatchObject({
        status: 'passed',
        cached: true,
      });
      // The build stays a garbage-collector root where the cache entry was published.
      const entry = dirname(dirname(built.image!.kernel));
      const roots = readdirSync('/nix/var/nix/gcroots/auto').map((name) =>
        readlinkSync(join('/nix/var/nix/gcroots/auto', name)),
      );
      expect(roots).toContain(`${entry}.nix-result`);
      // A changed source changes the derivation: built again.
      writeFileSync(
        join(p.root, 'kernel'),
        Buffer.concat([readFileSync(join(guest!, 'kernel')), Buffer.alloc(4096)]),
      );
      const rebuilt = await prepareFirstImage(p.root, p.state, yaml);
      expect(rebuilt, rebuilt.log).toMatchObject({ status: 'passed', cached: false });
      // An entry whose nix output is gone (garbage-collected) is built again, not used.
      rmSync(`${dirname(dirname(rebuilt.image!.kernel))}.nix-result`);
      const repaired = await prepareFirstImage(p.root, p.state, yaml);
      expect(repaired, repaired.log).toMatchObject({ status: 'passed', cached: false });
      expect(repaired.log).toContain('is incomplete; building it again');
    },
  );

  it('checks prebuilt files, and names a nix build that fails (or nix missing)', async () => {
    const p = project('types');
    const files = await prepareFirstImage(
      p.root,
      p.state,
      `version: 1
images:
  guest: { arch: arm64, kernel: ${guest}/kernel, initrd: missing/initrd }
jobs:
  boot: { run: "true", image: guest, executor: qemu }
`,
    );
    expect(files).toMatchObject({
      status: 'failed',
      message: `the initrd ${p.root}/missing/initrd does not exist`,
    });
    const present = await prepareFirstImage(
      p.root,
      p.state,
      `version: 1\nimages:\n  guest: { arch: arm64, kernel: ${guest}/kernel, initrd: ${guest}/initrd }\njobs:\n  boot: { run: "true", image: guest, executor: qemu }\n`,
    );
    expect(present).toMatchObject({ status: 'passed', cached: false });
    const kernelSha = createHash('sha256')
      .update(readFileSync(join(guest!, 'kernel')))
      .digest('hex');
    expect(present.log).toContain(`image "guest": kernel sha256 ${kernelSha.slice(0, 16)}, initrd sha256 `);
    const nix = await prepareFirstImage(
      p.root,
      p.state,
      `version: 1
images:
  guest: { arch: arm64, nix: "path:.#no-such-package" }
jobs:
  boot: { run: "true", image: guest, executor: qemu }
`,
    );
    expect(nix.status).toBe('failed');
    // Without nix: what to install; with nix, the failing build is named.
    expect(nix.message).toMatch(
      /^(could not run nix \(.*\): install nix \(https:\/\/nixos\.org\/download\) or use a build or files image|nix could not evaluate path:\.#no-such-package: .+)$/,
    );
  });
});
