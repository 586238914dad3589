import { expect, inject } from 'vitest';
import type { NodeRecord } from '../../src/records/schema.js';
import { REPO_ROOT } from './cli.js';
import { prerequisite } from './prerequisites.js';

/** The test guest folder (kernel, initrd), or undefined when VM tests cannot run here (they then skip; CI fails). */
export function testGuest(): string | undefined {
  // The fast tier runs no global setup, so nothing was provided: no guest there.
  const guest = inject('testGuest') ?? { missing: 'the fast tier (npm run test:fast) builds no test guest' };
  if ('path' in guest) return guest.path;
  prerequisite(`the VM test guest: ${guest.missing}`, false);
  return undefined;
}

/** The vfkit test shim (test/support/vfkit). */
export const VFKIT_SHIM = `${REPO_ROOT}test/support/vfkit`;

/** A jobs-file image block booting the test guest. */
export function testImageYaml(guest: string, name = 'tiny'): string {
  return `  ${name}: { arch: arm64, kernel: ${guest}/kernel, initrd: ${guest}/initrd, cpus: 1, memory: 512, cmdline: "quiet cryptomgr.notests" }`;
}

/**
 * Checks a VM job's recorded phases: all of them in order (the guest's times tied to the host clock), each
 * starting where the one before ended, all within the job; returns them by name.
 */
export function vmPhasesOf(record: NodeRecord): Record<string, number> {
  const phases = record.phases ?? [];
  expect(phases.map((phase) => phase.phase)).toEqual([
    'prepare',
    'hypervisor',
    'boot',
    'setup',
    'command',
    'collect',
    'shutdown',
    'finish',
  ]);
  for (let i = 1; i < phases.length; i++)
    expect(Math.abs(phases[i]!.startMs - (phases[i - 1]!.startMs + phases[i - 1]!.ms))).toBeLessThanOrEqual(
      1,
    );
  const last = phases.at(-1)!;
  expect(last.startMs + last.ms).toBeLessThanOrEqual(record.durationMs! + 1);
  // A kernel boots, and an agent sets up, in more than no time at all.
  expect(phases.find((phase) => phase.phase === 'boot')!.ms).toBeGreaterThan(0);
  return Object.fromEntries(phases.map((phase) => [phase.phase, phase.ms]));
}
