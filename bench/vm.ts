// VM benchmarks (issue: the vfkit executor):
// - VM start-to-command and command-end-to-exit per job, through the vfkit executor + test shim and through the
//   qemu executor (TCG here; KVM where the machine has it);
// - per-job workspace setup for a 50,000-file repository: overlay (the default) vs copy.
// Needs the test guest (built on the fly, cached) and qemu-system-aarch64.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { median, table } from './support.js';
import { benchGuest, type Timing, timeJob } from './support-vm.js';

const guest = benchGuest();
const tinyImage = `tiny: { arch: arm64, kernel: ${resolve(guest)}/kernel, initrd: ${resolve(guest)}/initrd, cpus: 1, memory: 512, cmdline: "quiet cryptomgr.notests" }`;

const tiny = (root: string) => writeFileSync(join(root, 'README.md'), 'bench\n');
const big = (root: string) => {
  for (let d = 0; d < 500; d++) {
    const folder = join(root, `pkg${Math.floor(d / 50)}`, `mod${d}`);
    mkdirSync(folder, { recursive: true });
    for (let f = 0; f < 100; f++)
      writeFileSync(join(folder, `f${f}.ts`), 'x'.repeat(200 + ((d * 100 + f) % 4000)));
  }
};

const rows: string[][] = [];
for (const executor of ['vfkit', 'qemu'] as const) {
  const timings: Timing[] = [];
  for (let i = 0; i < 3; i++) timings.push(await timeJob(tinyImage, executor, tiny, 'overlay'));
  const accel =
    /with (TCG|KVM)/.exec(timings[0]!.hostLog)?.[1] ?? (executor === 'vfkit' ? 'TCG via shim' : '?');
  rows.push([
    `${executor}${executor === 'vfkit' ? ' (test shim → QEMU)' : ''}, ${accel}`,
    `${(median(timings.map((t) => t.startToCommand)) / 1000).toFixed(2)} s`,
    `${(median(timings.map((t) => t.commandToExit)) / 1000).toFixed(2)} s`,
    `${(median(timings.map((t) => t.total)) / 1000).toFixed(2)} s`,
  ]);
}
console.log('## bench/vm: per-job VM overhead (median of 3; ±0.1 s from polling guest.log)');
console.log(table(['executor', 'start → command', 'command end → exit', 'total for `echo`'], rows));

const setup: string[][] = [];
const overlaySmall = await timeJob(tinyImage, 'qemu', tiny, 'overlay');
const overlayBig = await timeJob(tinyImage, 'qemu', big, 'overlay');
const copyBig = await timeJob(tinyImage, 'qemu', big, 'copy');
const copyMs = /workspace copy ready in (\d+) ms/.exec(copyBig.hostLog)?.[1];
setup.push([
  'overlay, 1-file repository',
  '0 ms (the snapshot is shared)',
  `${overlaySmall.guestSetupMs} ms`,
  `${(overlaySmall.total / 1000).toFixed(2)} s`,
]);
setup.push([
  'overlay, 50,000-file repository',
  '0 ms (the snapshot is shared)',
  `${overlayBig.guestSetupMs} ms`,
  `${(overlayBig.total / 1000).toFixed(2)} s`,
]);
setup.push([
  'copy, 50,000-file repository',
  `${copyMs} ms (per job)`,
  `${copyBig.guestSetupMs} ms`,
  `${(copyBig.total / 1000).toFixed(2)} s`,
]);
console.log('\n## bench/vm: per-job workspace setup (qemu executor)');
console.log(table(['workspace', 'host-side setup per job', 'guest-side setup (mounts)', 'job total'], setup));
