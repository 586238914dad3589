// Once per test run: builds the test guest (kernel + initramfs with the vmplan agent) that the VM tests boot,
// cached by content under node_modules/.cache. Where the tools for it are missing, the VM tests are skipped
// locally with a note; in CI (CI=true) they fail instead (see test/support/prerequisites.ts).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildShimBundle } from './support/vfkit-shim/build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Folder with the arm64 test guest's kernel and initrd, or a reason it is missing. */
    testGuest: { path: string } | { missing: string };
  }
}

const TOOLS = ['apt-get', 'dpkg-deb', 'cpio', 'depmod', 'qemu-system-aarch64'];

export default function setup(project: TestProject): void {
  buildShimBundle();
  const missing = TOOLS.filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0,
  );
  if (missing.length > 0) {
    project.provide('testGuest', {
      missing: `${missing.join(', ')} (apt-get install qemu-system-arm cpio kmod)`,
    });
    return;
  }
  const started = Date.now();
  const result = spawnSync(
    'guest/build-test-guest.sh',
    ['--arch', 'arm64', '--cache', 'node_modules/.cache/vmplan-test-guest'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const path = result.stdout.trim().split('\n').pop();
  if (result.status !== 0 || path === undefined || path === '') {
    project.provide('testGuest', {
      missing: `the test guest did not build (guest/build-test-guest.sh exited ${result.status})`,
    });
    return;
  }
  console.log(`test guest ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${path}`);
  project.provide('testGuest', { path: resolve(path) });
}
