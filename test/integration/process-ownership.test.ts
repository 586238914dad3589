import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { NODE_DIR_VARIABLE, stopRecordedProcess } from '../../src/process/ownership.js';
import { processesWith } from '../support/processes.js';

/**
 * A process group whose leader has exited, leaving one member (`sleep`, found by a marker in its arguments):
 * what a crashed vmplan leaves when a job's script started something in the background.
 */
async function leaderlessGroup(env: NodeJS.ProcessEnv): Promise<{ pgid: number; marker: string }> {
  const marker = `vmplan-leaderless-${randomBytes(4).toString('hex')}`;
  // `exec -a` is bash's; the member's command line then carries the marker (for processesWith).
  const leader = spawn('bash', ['-c', `(exec -a ${marker} sleep 30) & exit 0`], {
    detached: true,
    stdio: 'ignore',
    env: { PATH: process.env.PATH, ...env },
  });
  await once(leader, 'exit');
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(processesWith(marker)).toHaveLength(1);
  return { pgid: leader.pid!, marker };
}

describe('stopping what a record says is running', () => {
  const runDir = `/tmp/vmplan-test-runs/${randomBytes(4).toString('hex')}`;

  it('stops a group whose leader is gone when a member proves it belongs to the run', async () => {
    const { pgid, marker } = await leaderlessGroup({ [NODE_DIR_VARIABLE]: `${runDir}/jobs/unit` });
    expect(
      await stopRecordedProcess({ pid: pgid, group: true, restSocket: null }, runDir, { graceMs: 500 }),
    ).not.toBe('not-ours');
    expect(processesWith(marker)).toEqual([]);
  });

  it("never signals a leaderless group of strangers that took a recorded pid's place", async () => {
    const { pgid, marker } = await leaderlessGroup({});
    try {
      expect(
        await stopRecordedProcess({ pid: pgid, group: true, restSocket: null }, runDir, { graceMs: 500 }),
      ).toBe('not-ours');
      expect(processesWith(marker)).toHaveLength(1);
    } finally {
      process.kill(-pgid, 'SIGKILL');
    }
  });
});
