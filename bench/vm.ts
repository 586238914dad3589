// VM benchmarks (issue: the vfkit executor):
// - VM start-to-command and command-end-to-exit per job, through the vfkit executor + test shim and through the
//   qemu executor (TCG here; KVM where the machine has it);
// - per-job workspace setup for a 50,000-file repository: overlay (the default) vs copy.
// Needs the test guest (built on the fly, cached) and qemu-system-aarch64.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseJobsFile } from '../src/config/parse.js';
import type { ProgressReporter } from '../src/engine/run-plan.js';
import { startRun } from '../src/engine/start-run.js';
import { HostExecutor } from '../src/executors/host.js';
import { QemuExecutor } from '../src/executors/vm/qemu.js';
import { VfkitExecutor } from '../src/executors/vm/vfkit.js';
import { HostImagePreparer } from '../src/images/preparer.js';
import { buildPlan } from '../src/plan/build.js';
import { StateLayout } from '../src/records/layout.js';
import { median, table } from './support.js';

const guest = execFileSync(
  'guest/build-test-guest.sh',
  ['--arch', 'arm64', '--cache', 'node_modules/.cache/vmplan-test-guest'],
  {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  },
)
  .trim()
  .split('\n')
  .pop()!;
const shim = resolve('test/support/vfkit');

interface Timing {
  startToCommand: number;
  commandToExit: number;
  total: number;
  hostLog: string;
}

/** Runs one job in a fresh project and times it from the node start to its first guest output and its end. */
async function timeJob(
  executor: 'vfkit' | 'qemu',
  files: (root: string) => void,
  mode: 'overlay' | 'copy',
): Promise<Timing> {
  const root = mkdtempSync(join(tmpdir(), 'vmplan-bench-vm-'));
  try {
    files(root);
    const yaml = `version: 1
images:
  tiny: { arch: arm64, kernel: ${resolve(guest)}/kernel, initrd: ${resolve(guest)}/initrd, cpus: 1, memory: 512, cmdline: "quiet cryptomgr.notests" }
workspace: { mode: ${mode} }
jobs:
  probe: { run: echo started, image: tiny, executor: ${executor} }
`;
    const plan = buildPlan(parseJobsFile(yaml, 'bench.yml').config, {
      source: { repository: null, commit: null, ref: null, event: 'bench' },
      jobsFile: { name: 'bench.yml', sha256: '0'.repeat(64) },
      changes: { known: false, reason: 'bench' },
      defaultExecutor: executor,
      createdAt: new Date().toISOString(),
    });
    let started = 0;
    let firstOutput = 0;
    let finished = 0;
    const progress: ProgressReporter = {
      nodeStarted: (node) => {
        if (node.kind === 'execute') started = performance.now();
      },
      nodeFinished: (node) => {
        if (node.kind === 'execute') finished = performance.now();
      },
      liveSink: (node) =>
        node.kind === 'execute'
          ? {
              write: (text) => {
                if (firstOutput === 0 && text.includes('started')) firstOutput = performance.now();
              },
            }
          : undefined,
    };
    const layout = new StateLayout(join(root, '.vmplan'));
    const run = await startRun({
      plan,
      planPath: 'bench.yml',
      layout,
      repositoryRoot: root,
      env: process.env,
      executors: {
        host: new HostExecutor(),
        qemu: new QemuExecutor({ cacheDir: layout.cacheDir }),
        vfkit: new VfkitExecutor({ vfkitPath: shim }),
      },
      preparer: new HostImagePreparer(),
      maxParallel: 1,
      failFast: true,
      rerun: undefined,
      progress,
      note: () => undefined,
      signal: new AbortController().signal,
    });
    if (run.status !== 'passed') throw new Error(`bench job ${run.status}: ${run.message}`);
    const hostLog = readFileSync(join(layout.runDir(run.runId), 'jobs/probe/host.log'), 'utf8');
    return {
      startToCommand: firstOutput - started,
      commandToExit: finished - firstOutput,
      total: finished - started,
      hostLog,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

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
  for (let i = 0; i < 3; i++) timings.push(await timeJob(executor, tiny, 'overlay'));
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
const overlaySmall = await timeJob('qemu', tiny, 'overlay');
const overlayBig = await timeJob('qemu', big, 'overlay');
const copyBig = await timeJob('qemu', big, 'copy');
const copyMs = /workspace copy ready in (\d+) ms/.exec(copyBig.hostLog)?.[1];
setup.push([
  'overlay, 1-file repository',
  '0 ms (the snapshot is shared)',
  `${(overlaySmall.total / 1000).toFixed(2)} s`,
]);
setup.push([
  'overlay, 50,000-file repository',
  '0 ms (the snapshot is shared)',
  `${(overlayBig.total / 1000).toFixed(2)} s`,
]);
setup.push([
  'copy, 50,000-file repository',
  `${copyMs} ms (per job)`,
  `${(copyBig.total / 1000).toFixed(2)} s`,
]);
console.log('\n## bench/vm: per-job workspace setup (qemu executor)');
console.log(table(['workspace', 'host-side setup per job', 'job total'], setup));
