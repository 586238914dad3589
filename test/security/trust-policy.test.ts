import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ActionHarness, makeWorkspace } from '../support/github/action-harness.js';

// Guarantee 3: the jobs file cannot choose to skip isolation on an untrusted run. Refusals name the policy and
// nothing runs: no job, no build command, no run folder.

const FORK_PR = {
  pull_request: {
    head: { sha: 'f'.repeat(40), ref: 'feature', repo: { full_name: 'mallory/widgets' } },
    base: { sha: 'e'.repeat(40), repo: { full_name: 'acme/widgets' } },
  },
};
// A fork that was deleted while its pull request stayed open: GitHub sends the head repository as null.
const DELETED_FORK_PR = {
  pull_request: {
    head: { sha: 'f'.repeat(40), ref: 'feature', repo: null },
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
  for (const [event, payload, reason, what] of [
    ['pull_request', FORK_PR, 'trust: auto (untrusted for a pull request from a fork)', 'from a fork'],
    [
      'pull_request',
      DELETED_FORK_PR,
      'trust: auto (untrusted for a pull request from a fork)',
      'whose head repository was deleted (head.repo: null)',
    ],
    ['pull_request_target', SAME_REPO_PR, 'trust: auto (untrusted on pull_request_target)', ''],
  ] as const) {
    it(`refuses host jobs, host builds and host files on ${event}${what === '' ? '' : ` ${what}`}, running nothing`, async () => {
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
