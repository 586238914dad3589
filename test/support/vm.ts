import { inject } from 'vitest';
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
