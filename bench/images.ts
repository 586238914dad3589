// Image benchmarks (issue: guest images as cached prepare nodes):
// - cold vs warm prepare of a `build` image (the test guest from Debian packages; with --debian also the Debian
//   guest, which takes minutes cold);
// - cloning a 4 GiB root disk for a job: copy-on-write clone (loop btrfs, as APFS on a Mac), sparse copy (ext4),
//   plain copy;
// - boot-to-command of the Debian guest under TCG (KVM where the machine has it), when --debian is given.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cloneFile } from '../src/workspace/clone-file.js';
import { canMountBtrfs, mountLoopBtrfs } from '../test/support/btrfs.js';
import { prepareFirstImage } from '../test/support/prepare-image.js';
import { median, table } from './support.js';
import { timeJob } from './support-vm.js';

const withDebian = process.argv.includes('--debian');
const repo = process.cwd();
const tsx = `node --import ${repo}/node_modules/tsx/dist/loader.mjs ${repo}/src/cli.ts`;
const rows: string[][] = [];

async function coldWarm(label: string, build: string, extraCache: string | undefined): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'vmplan-bench-images-'));
  try {
    const yaml = `version: 1
images:
  img:
    arch: ${label.includes('amd64') ? 'amd64' : 'arm64'}
    build: ${JSON.stringify(build)}
jobs:
  boot: { run: "true", image: img, executor: qemu }
`;
    const cold = await prepareFirstImage(root, join(root, '.vmplan'), yaml);
    if (cold.status !== 'passed') throw new Error(`${label}: ${cold.message}`);
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) warm.push((await prepareFirstImage(root, join(root, '.vmplan'), yaml)).ms);
    rows.push([label, `${(cold.ms / 1000).toFixed(1)} s`, `${median(warm).toFixed(1)} ms`]);
  } finally {
    rmSync(root, { recursive: true, force: true });
    if (extraCache !== undefined) rmSync(extraCache, { recursive: true, force: true });
  }
}

// Cold means nothing cached anywhere: the guest builder's own download cache starts empty too.
const guestCache = mkdtempSync(join(tmpdir(), 'vmplan-bench-guest-cache-'));
await coldWarm(
  'test guest, arm64 (kernel + busybox initramfs)',
  `${tsx} image build test-guest --arch arm64 --cache ${guestCache} --out "$VMPLAN_IMAGE_OUT"`,
  guestCache,
);
const debianCache = mkdtempSync(join(tmpdir(), 'vmplan-bench-debian-cache-'));
const debianOut = mkdtempSync(join(tmpdir(), 'vmplan-bench-debian-'));
if (withDebian) {
  await coldWarm(
    'Debian bookworm, amd64, gcc + make (4 GiB disk)',
    `${tsx} image build debian --arch amd64 --packages "gcc make libc6-dev" --size 4G --cache ${debianCache} --out "$VMPLAN_IMAGE_OUT"`,
    undefined,
  );
}
console.log('## bench/images: prepare, cold vs warm (warm: median of 5, from the image cache)');
console.log(table(['image', 'cold', 'warm'], rows));

// Clone a 4 GiB disk holding 1 GiB of data.
function makeDisk(path: string): void {
  execFileSync('truncate', ['-s', '4G', path]);
  for (let i = 0; i < 4; i++) {
    execFileSync('dd', [
      'if=/dev/urandom',
      `of=${path}`,
      'bs=1M',
      'count=256',
      `seek=${i * 1024}`,
      'conv=notrunc',
      'status=none',
    ]);
  }
}
function timed(work: () => unknown): number {
  spawnSync('sync');
  const started = performance.now();
  work();
  spawnSync('sync');
  return performance.now() - started;
}
const cloneRows: string[][] = [];
const plain = mkdtempSync(join(tmpdir(), 'vmplan-bench-disk-'));
try {
  makeDisk(join(plain, 'disk.img'));
  let method = '';
  const sparseMs = await (async () => {
    spawnSync('sync');
    const started = performance.now();
    method = await cloneFile(join(plain, 'disk.img'), join(plain, 'clone.img'));
    spawnSync('sync');
    return performance.now() - started;
  })();
  cloneRows.push([`ext4: vmplan cloneFile (${method})`, `${(sparseMs / 1000).toFixed(2)} s`]);
  cloneRows.push([
    'ext4: plain copy (fs.copyFileSync)',
    `${(timed(() => copyFileSync(join(plain, 'disk.img'), join(plain, 'copy.img'))) / 1000).toFixed(2)} s`,
  ]);
} finally {
  rmSync(plain, { recursive: true, force: true });
}
if (canMountBtrfs()) {
  const btrfs = mountLoopBtrfs(10);
  try {
    makeDisk(join(btrfs.path, 'disk.img'));
    spawnSync('sync');
    const started = performance.now();
    const method = await cloneFile(join(btrfs.path, 'disk.img'), join(btrfs.path, 'clone.img'));
    const ms = performance.now() - started;
    cloneRows.push([`loop btrfs: vmplan cloneFile (${method})`, `${ms.toFixed(1)} ms`]);
  } finally {
    btrfs.unmount();
  }
} else {
  cloneRows.push(['loop btrfs (clone path)', 'not measured: needs root and btrfs-progs']);
}
console.log("\n## bench/images: a job's copy of a 4 GiB root disk (1 GiB of data)");
console.log(table(['where', 'time'], cloneRows));

if (withDebian) {
  const image = `deb: { arch: amd64, kernel: ${debianOut}/kernel, initrd: ${debianOut}/initrd, disk: ${debianOut}/disk, cpus: 2, memory: 1024, cmdline: quiet }`;
  execFileSync(
    `${tsx} image build debian --arch amd64 --packages "gcc make libc6-dev" --size 4G --cache ${debianCache} --out ${debianOut}`,
    {
      shell: '/bin/sh',
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const timings = [];
  for (let i = 0; i < 3; i++)
    timings.push(await timeJob(image, 'qemu', (root) => writeFileSync(join(root, 'README'), 'x'), 'overlay'));
  const accel = /with (TCG|KVM)/.exec(timings[0]!.hostLog)?.[1] ?? '?';
  console.log('\n## bench/images: Debian guest (amd64, qemu executor), median of 3');
  console.log(
    table(
      ['accelerator', 'start → command', 'command end → exit', 'total'],
      [
        [
          accel,
          `${(median(timings.map((t) => t.startToCommand)) / 1000).toFixed(2)} s`,
          `${(median(timings.map((t) => t.commandToExit)) / 1000).toFixed(2)} s`,
          `${(median(timings.map((t) => t.total)) / 1000).toFixed(2)} s`,
        ],
      ],
    ),
  );
  if (accel === 'TCG') console.log('KVM: not measured here (no usable /dev/kvm on this machine).');
  rmSync(debianOut, { recursive: true, force: true });
  rmSync(debianCache, { recursive: true, force: true });
}
