// Issue 15's goal, measured in one run: a VM job running a trivial command (`echo started`) against the hypervisor booting the same kernel and
// initrd straight to power-off (rdinit=/bin/busybox -- poweroff -f: no modules, no shares, no agent). The ratio
// job ÷ bare boot is what vmplan adds per job; the goal is ≤ 1.3× for the qemu executor and for vfkit through the
// test shim. `node --import tsx bench/vm-ratio.ts [RUNS]` (default 5; medians). Needs qemu-system-aarch64.
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { median, table } from './support.js';
import { benchGuest, timeJob } from './support-vm.js';

const runs = Number(process.argv[2] ?? 5);
const guest = benchGuest();

/**
 * The hypervisor alone: the same machine, kernel and initrd as a vmplan job, booted into an immediate power-off.
 * Its wall time, and the guest's clock at power-off (the kernel's own boot; the rest is QEMU starting).
 */
function bareBoot(): { ms: number; kernelMs: number } {
  const started = performance.now();
  const result = spawnSync(
    'qemu-system-aarch64',
    [
      // The machine and CPU model the qemu executor uses under TCG (cortex-a57: several times faster than max).
      '-M',
      'virt',
      '-cpu',
      'cortex-a57',
      '-accel',
      'tcg',
      '-smp',
      '1',
      '-m',
      '512',
      '-nographic',
      '-no-reboot',
      '-kernel',
      `${guest}/kernel`,
      '-initrd',
      `${guest}/initrd`,
      '-append',
      'console=ttyAMA0 panic=-1 quiet cryptomgr.notests rdinit=/bin/busybox -- poweroff -f',
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (result.status !== 0) throw new Error(`bare boot failed (${result.status}): ${result.stderr}`);
  const ms = performance.now() - started;
  const powerOff = /\[\s*([\d.]+)\] reboot: Power down/.exec(result.stdout);
  return { ms, kernelMs: powerOff === null ? Number.NaN : Number(powerOff[1]) * 1000 };
}

const image = `tiny: { arch: arm64, kernel: ${guest}/kernel, initrd: ${guest}/initrd, cpus: 1, memory: 512, cmdline: "quiet cryptomgr.notests" }`;
const files = () => undefined;
const bare: number[] = [];
const bareKernel: number[] = [];
const inits: Record<'qemu' | 'vfkit', { kernelMs: number; driversMs: number }[]> = { qemu: [], vfkit: [] };
const jobs: Record<'qemu' | 'vfkit', number[]> = { qemu: [], vfkit: [] };
const phases: Record<'qemu' | 'vfkit', Record<string, number>[]> = { qemu: [], vfkit: [] };
// The machine may be shared: the load says how far the absolute times are from an idle machine's (the ratios,
// measured side by side, move less).
const loadBefore = loadavg()[0]!;
bareBoot(); // warm-up: page cache, QEMU's own start
for (let i = 0; i < runs; i++) {
  const boot = bareBoot();
  bare.push(boot.ms);
  bareKernel.push(boot.kernelMs);
  for (const executor of ['qemu', 'vfkit'] as const) {
    const timing = await timeJob(image, executor, files, 'overlay');
    jobs[executor].push(timing.total);
    phases[executor].push(timing.phases);
    inits[executor].push(timing.init);
  }
}
const bareMedian = median(bare);
console.log(`## bench/vm-ratio: a VM job running \`echo\` ÷ the bare boot to power-off (median of ${runs})`);
console.log(
  `load average (1 min) ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after, on ${availableParallelism()} cores`,
);
console.log(
  table(
    ['what', 'median', 'ratio'],
    [
      ['bare QEMU boot → power-off', `${(bareMedian / 1000).toFixed(2)} s`, '1.00×'],
      ...(['qemu', 'vfkit'] as const).map((executor) => [
        `vmplan job, ${executor}${executor === 'vfkit' ? ' (test shim → QEMU)' : ''}`,
        `${(median(jobs[executor]) / 1000).toFixed(2)} s`,
        `${(median(jobs[executor]) / bareMedian).toFixed(2)}×`,
      ]),
    ],
  ),
);

// Where the job's time went (its recorded phases), median per phase.
const names = ['prepare', 'hypervisor', 'boot', 'setup', 'command', 'collect', 'shutdown', 'finish'];
console.log('');
console.log(
  table(
    ['phase', ...(['qemu', 'vfkit'] as const)],
    names.map((name) => [
      name,
      ...(['qemu', 'vfkit'] as const).map(
        (executor) => `${Math.round(median(phases[executor].map((byName) => byName[name] ?? 0)))} ms`,
      ),
    ]),
  ),
);

// The boot phase split by the test guest's init (its console line): the kernel until it hands over to /init, then
// init's drivers and console; against the bare boot's kernel, which reaches its power-off with no driver loaded.
console.log('');
console.log(
  table(
    ['boot, split', 'bare boot', 'qemu job', 'vfkit job'],
    [
      [
        'QEMU start (wall time − guest clock)',
        `${Math.round(median(bare.map((ms, index) => ms - bareKernel[index]!)))} ms`,
        ...(['qemu', 'vfkit'] as const).map(
          (executor) => `${Math.round(median(phases[executor].map((byName) => byName.hypervisor ?? 0)))} ms`,
        ),
      ],
      [
        'kernel until /init (bare: until power-off)',
        `${Math.round(median(bareKernel))} ms`,
        ...(['qemu', 'vfkit'] as const).map(
          (executor) => `${Math.round(median(inits[executor].map((one) => one.kernelMs)))} ms`,
        ),
      ],
      [
        "init: the drivers' one modprobe, the console",
        '-',
        ...(['qemu', 'vfkit'] as const).map(
          (executor) =>
            `${Math.round(median(inits[executor].map((one) => one.driversMs - one.kernelMs)))} ms`,
        ),
      ],
    ],
  ),
);

// Why the guest's phases cost what they do here: the same shell work (busybox's sh: an interpreter loop, then
// starting processes) timed on the host and in the guest. The guest's per-step work (init, mounts, modules, the
// agent's setup and collection) is this kind of work, so the factor says what it would cost under hardware
// virtualisation (vfkit on a Mac, KVM), where the guest runs at the host CPU's speed.
const LOOP = 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done';
const SPAWN = 'i=0; while [ $i -lt 100 ]; do /bin/busybox true; i=$((i+1)); done';

/** Milliseconds the host's busybox takes for a script (median of three). */
function hostMs(script: string): number {
  return median(
    [0, 1, 2].map(() => {
      const started = performance.now();
      const result = spawnSync('busybox', ['sh', '-c', script]);
      if (result.status !== 0) throw new Error(`busybox sh failed: ${result.stderr}`);
      return performance.now() - started;
    }),
  );
}

// In the guest: each step between two reads of /proc/uptime (hundredths of a second; the steps take seconds).
const marks = (name: string) =>
  `read a _ </proc/uptime; ${name === 'loop' ? LOOP : SPAWN}; read b _ </proc/uptime; echo "${name} $a $b"`;
const probe = await timeJob(
  image,
  'qemu',
  files,
  'overlay',
  undefined,
  `echo started; ${marks('loop')}; ${marks('spawn')}`,
);
const guestMs = (name: string) => {
  const found = new RegExp(`^${name} ([\\d.]+) ([\\d.]+)$`, 'm').exec(probe.guestLog);
  if (found === null) throw new Error(`no ${name} line in the guest's output: ${probe.guestLog}`);
  return (Number(found[2]) - Number(found[1])) * 1000;
};
const factors = (['loop', 'spawn'] as const).map((name) => {
  const host = hostMs(name === 'loop' ? LOOP : SPAWN);
  const guest = guestMs(name);
  return { name, host, guest, factor: guest / host };
});
console.log('');
console.log('### The same shell work on the host and in the guest (emulated)');
console.log(
  table(
    ['work', 'host', 'guest', 'guest ÷ host'],
    factors.map(({ name, host, guest, factor }) => [
      name === 'loop' ? 'busybox sh: 100,000 loop steps' : 'busybox sh: start 100 processes',
      `${Math.round(host)} ms`,
      `${Math.round(guest)} ms`,
      `${factor.toFixed(1)}×`,
    ]),
  ),
);
// vmplan's own work in the guest after its init: the agent's setup, the command's start (the job's `echo`),
// collecting, and the power-off. Left out, in boot: init loading the drivers every job uses (console, virtio-fs,
// overlayfs, network, entropy; one modprobe since issue 15, before that the agent loaded most of them in setup),
// which a real image's init does too, and the kernel's own boot.
const guestWork = (['setup', 'command', 'collect', 'shutdown'] as const).reduce(
  (sum, name) => sum + median(phases.qemu.map((byName) => byName[name] ?? 0)),
  0,
);
const hostWork = (['prepare', 'finish'] as const).reduce(
  (sum, name) => sum + median(phases.qemu.map((byName) => byName[name] ?? 0)),
  0,
);
const slower = Math.min(...factors.map((entry) => entry.factor));
console.log('');
console.log(
  `vmplan's work in the guest (setup, command start, collect, power-off): ${Math.round(guestWork)} ms here; at the ` +
    `smaller of the two factors (${slower.toFixed(1)}×) about ${Math.round(guestWork / slower)} ms with hardware ` +
    `virtualisation (boot, with init's drivers, not counted). On the host: ${Math.round(hostWork)} ms (prepare, finish).`,
);
