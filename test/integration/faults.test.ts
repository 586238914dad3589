import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroupSupport } from '../../src/process/cgroup.js';
import { runVmplan, spawnVmplan } from '../support/cli.js';
import { prerequisite } from '../support/prerequisites.js';
import { processesWith } from '../support/processes.js';
import { testProject } from '../support/project.js';

const marker = () => `vmplan-fault-${randomBytes(4).toString('hex')}`;

/** Every file under a folder, relative. */
function filesUnder(root: string, prefix = ''): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? filesUnder(join(root, entry.name), `${prefix}${entry.name}/`)
      : [`${prefix}${entry.name}`],
  );
}

/** Every record of a run parses as JSON and none is still pending or running. */
function expectTerminalRecords(runDir: string): void {
  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  expect(run.status).not.toBe('running');
  for (const file of filesUnder(runDir).filter((path) => path.endsWith('status.json'))) {
    const record = JSON.parse(readFileSync(join(runDir, file), 'utf8'));
    expect(['pending', 'running'], file).not.toContain(record.status);
  }
  // Nothing half-written: no temp file of an atomic write, no reserve left.
  expect(filesUnder(runDir).filter((path) => /\.tmp$|\.space-reserve$/.test(path))).toEqual([]);
}

const canMountTmpfs = process.platform === 'linux' && process.getuid?.() === 0;

describe.skipIf(!prerequisite('root (to mount a small tmpfs as a full disk)', canMountTmpfs))(
  'a full disk',
  () => {
    const base = mkdtempSync(join(tmpdir(), 'vmplan-full-'));
    const mounted: string[] = [];
    afterAll(() => {
      for (const path of mounted) execFileSync('umount', [path]);
      rmSync(base, { recursive: true, force: true });
    });
    function smallDisk(name: string, size: string): string {
      const path = join(base, name);
      mkdirSync(path);
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path]);
      mounted.push(path);
      return path;
    }

    it('a job printing 10 MB into a 3 MB state folder fails clearly, the run ends terminal, exit 3', async () => {
      const state = smallDisk('three', '3m');
      const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  loud: { run: 'yes "a line of output that fills the disk quickly, over and over" | head -c 10000000' }
  after: { run: echo never, needs: loud }
`);
      const result = await runVmplan(['run', '--quiet', '--state-dir', state], { cwd: project.root });
      expect(result.code, result.stdout + result.stderr).toBe(3);
      expect(result.stderr).toContain('vmplan could not do its own work');
      expect(result.stderr).toMatch(
        /loud: vmplan could not write this job's log \(ENOSPC: the state folder is out of space\)/,
      );
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace

      const [runId] = readdirSync(join(state, 'runs'));
      const runDir = join(state, 'runs', runId!);
      expectTerminalRecords(runDir);
      const loud = JSON.parse(readFileSync(join(runDir, 'jobs/loud/status.json'), 'utf8'));
      expect(loud).toMatchObject({ status: 'failed' });
      expect(loud.message).toContain('out of space');
      const after = JSON.parse(readFileSync(join(runDir, 'jobs/after/status.json'), 'utf8'));
      expect(after.status).toBe('skipped');

      // The other commands read the full folder without crashing.
      const status = await runVmplan(['status', '--state-dir', state], { cwd: project.root });
      expect(status.code, status.stderr).toBe(1);
      expect(status.stdout).toContain('loud');
      const list = await runVmplan(['list', '--state-dir', state], { cwd: project.root });
      expect(list.code, list.stderr).toBe(0);
    });

    it('a state folder too full for a run says so before anything runs, and leaves no run behind', async () => {
      const project = testProject('version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: echo a }\n');
      // Room for a few small files but not for the 512 KiB each run sets aside; then none at all.
      for (const [name, filler, expected] of [
        [
          'nearly-full',
          900 * 1024,
          /not enough free space for a run's records in .*: vmplan sets 512 KiB aside/,
        ],
        ['full', 2 * 1024 * 1024, /state folder .* is out of space \(ENOSPC\)/],
      ] as const) {
        const state = smallDisk(name, '1m');
        mkdirSync(join(state, 'runs'));
        try {
          writeFileSync(join(state, 'filler'), Buffer.alloc(filler, 1));
        } catch {
          // full, as wanted
        }
        const result = await runVmplan(['run', '--state-dir', state], { cwd: project.root });
        expect(result.code, result.stderr).toBe(3);
        expect(result.stderr).toMatch(expected);
        expect(result.stderr).not.toMatch(/\n\s+at /);
        expect(readdirSync(join(state, 'runs'))).toEqual([]);
      }
    });
  },
);

describe.skipIf(
  !prerequisite('cgroup v2 with a writable cgroup for vmplan (root on Linux)', cgroupSupport().available),
)('daemons a host job starts', () => {
  // A shell in a session of its own, deaf to SIGTERM and SIGHUP, carrying the mark in its command line.
  const daemon = (mark: string) =>
    `setsid sh -c 'trap "" TERM HUP; touch daemon-ready; sleep 300; : ${mark}' < /dev/null > /dev/null 2>&1 &`;
  // The job waits until the daemon is in its own session (on a busy machine the job could end first).
  const untilDetached = 'while [ ! -e daemon-ready ]; do sleep 0.05; done';

  it('are killed when the job ends, even after setsid and ignoring SIGTERM, and the log says so', async () => {
    const mark = marker();
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  starts-a-daemon: { run: '${daemon(mark).replaceAll("'", "''")} ${untilDetached}' }
`);
    const vmplan = spawnVmplan(['run'], { cwd: project.root });
    const result = await vmplan.done;
    expect(result.code, result.stderr).toBe(0);
    expect(processesWith(mark)).toEqual([]);
    // The shell (and its sleep, if it got that far): they left the job's process group with setsid.
    expect(result.stdout).toMatch(
      /killed [12] process\(es\) that left the job's process group \(setsid, daemons\)/,
    );
    // This vmplan's cgroups (named after its pid; other tests' runs may have theirs now) are gone.
    const support = cgroupSupport();
    if (support.available) {
      const ours = `vmplan-${vmplan.child.pid}-`;
      expect(readdirSync(support.parent).filter((name) => name.startsWith(ours))).toEqual([]);
    }
  });

  it('are killed when vmplan itself was SIGKILLed, by the next vmplan status', async () => {
    const mark = marker();
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  daemon-then-wait:
    run: |
      ${daemon(mark)}
      ${untilDetached}
      echo daemon started
      sleep 300
`);
    const vmplan = spawnVmplan(['run'], { cwd: project.root });
    await vmplan.waitFor('daemon started');
    vmplan.child.kill('SIGKILL');
    await vmplan.done;
    expect(processesWith(mark)).toHaveLength(1);
    const status = await runVmplan(['status'], { cwd: project.root });
    expect(status.stdout).toContain('cancelled');
    expect(processesWith(mark)).toEqual([]);
  });
});
