// Builds the vfkit test shim into one JavaScript file, so it starts like the compiled vfkit it stands in for
// (through tsx it spends most of a second compiling itself before every VM, which the VM benchmarks would count).
// test/support/vfkit runs the bundle when it is newer than every source file, else the TypeScript itself.
import { renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Where the bundle goes (the wrapper script looks there): the checkout's own build/ (ignored by git), not
 * node_modules, so checkouts sharing one node_modules (git worktrees) never run each other's shim.
 */
export const SHIM_BUNDLE = join(here, '../../../build/vfkit-shim/main.mjs');

/** Bundles test/support/vfkit-shim/main.ts (and the vmplan modules it uses) into SHIM_BUNDLE, atomically. */
export function buildShimBundle(): void {
  const temporary = `${SHIM_BUNDLE}.${process.pid}.tmp`;
  buildSync({
    entryPoints: [join(here, 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: temporary,
    logLevel: 'warning',
  });
  renameSync(temporary, SHIM_BUNDLE);
}
