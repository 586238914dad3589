// Workspace snapshot of a generated 50,000-file tree: vmplan's copyTree against `cp -R`, on the plain copy path
// (this machine's ext4) and on the clone path (a loop-mounted btrfs, where FICLONE works as APFS clonefile does
// on a Mac). Goal: never slower than cp -R. The clone path needs root and btrfs-progs; without them it says so.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyTree } from '../src/workspace/copy-tree.js';
import { median, table } from './support.js';

const FILES = 50_000;

/** A source-tree-like folder: 500 folders of 100 files, 200 bytes to 8 KiB each. */
function generateTree(root: string): void {
  for (let d = 0; d < FILES / 100; d++) {
    const folder = join(root, `pkg${Math.floor(d / 50)}`, `mod${d}`);
    mkdirSync(folder, { recursive: true });
    for (let f = 0; f < 100; f++)
      writeFileSync(join(folder, `f${f}.ts`), 'x'.repeat(200 + ((d * 100 + f) % 8000)));
  }
}

/** Times `work` including writing its data back to disk (sync), starting from a clean page cache state. */
async function timed(work: () => Promise<unknown> | unknown): Promise<number> {
  spawnSync('sync');
  const started = performance.now();
  await work();
  spawnSync('sync');
  return performance.now() - started;
}

async function measure(base: string, label: string, runs = 5): Promise<string[][]> {
  const source = join(base, 'source');
  generateTree(source);
  const times = { copyTree: [] as number[], node: [] as number[], cpR: [] as number[], cpRp: [] as number[] };
  let method = '';
  let engine = '';
  // Alternate the two so that drifts of the machine's disk speed hit both alike.
  for (let run = 0; run < runs; run++) {
    const a = join(base, `copy-${run}`);
    times.copyTree.push(
      await timed(async () => {
        const stats = await copyTree(source, a);
        method = stats.method;
        engine = stats.engine;
      }),
    );
    const n = join(base, `node-${run}`);
    times.node.push(await timed(() => copyTree(source, n, { engine: 'node' })));
    rmSync(n, { recursive: true, force: true });
    const b = join(base, `cp-${run}`);
    times.cpR.push(await timed(() => execFileSync('cp', ['-R', source, b])));
    const p = join(base, `cpp-${run}`);
    times.cpRp.push(await timed(() => execFileSync('cp', ['-R', '-p', source, p])));
    rmSync(p, { recursive: true, force: true });
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
  return [
    [
      label,
      `vmplan copyTree, default engine (${engine}, ${method})`,
      `${median(times.copyTree).toFixed(0)} ms`,
    ],
    [label, 'vmplan copyTree, node engine (as on macOS)', `${median(times.node).toFixed(0)} ms`],
    [label, 'cp -R', `${median(times.cpR).toFixed(0)} ms`],
    [label, 'cp -R -p (also keeps modes and times, as vmplan does)', `${median(times.cpRp).toFixed(0)} ms`],
  ];
}

const rows: string[][] = [];
const plain = mkdtempSync(join(tmpdir(), 'vmplan-bench-snapshot-'));
try {
  rows.push(...(await measure(plain, `${FILES} files, ext4 (copy path)`)));
} finally {
  rmSync(plain, { recursive: true, force: true });
}

const image = join(tmpdir(), `vmplan-bench-btrfs-${process.pid}.img`);
const mountPoint = join(tmpdir(), `vmplan-bench-btrfs-${process.pid}`);
let mounted = false;
try {
  if (process.getuid?.() !== 0 || (!existsSync('/usr/sbin/mkfs.btrfs') && !existsSync('/sbin/mkfs.btrfs'))) {
    rows.push([`${FILES} files, btrfs (clone path)`, 'not measured', 'needs root and btrfs-progs']);
  } else {
    execFileSync('truncate', ['-s', '2G', image]);
    execFileSync('mkfs.btrfs', ['-q', image]);
    mkdirSync(mountPoint, { recursive: true });
    execFileSync('mount', ['-o', 'loop', image, mountPoint]);
    mounted = true;
    rows.push(...(await measure(mountPoint, `${FILES} files, loop btrfs (clone path)`)));
  }
} finally {
  if (mounted) execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
  rmSync(image, { force: true });
}

console.log('## bench/snapshot: workspace snapshot vs cp -R (median of 5, each including sync)');
console.log(table(['tree', 'method', 'time'], rows));
