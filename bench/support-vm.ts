// Times one VM job from its start to its first output and its end (shared by the VM benchmarks).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseJobsFile } from '../src/config/parse.js';
import type { ProgressReporter } from '../src/engine/run-plan.js';
import { startRun } from '../src/engine/start-run.js';
import { HostExecutor } from '../src/executors/host/executor.js';
import { QemuExecutor } from '../src/executors/qemu/executor.js';
import { VfkitExecutor } from '../src/executors/vfkit/executor.js';
import { HostImagePreparer } from '../src/images/preparer.js';
import { buildPlan } from '../src/plan/build.js';
import { trustedPolicy } from '../src/plan/trust.js';
import { StateLayout } from '../src/records/layout.js';
import type { NodeRecord } from '../src/records/schema.js';
import { buildShimBundle } from '../test/support/vfkit-shim/build.js';

const shim = resolve('test/support/vfkit');
// The shim starts like the compiled vfkit it stands in for (not compiling itself first).
buildShimBundle();

/** The test guest's folder (kernel, initrd), built on first use and cached. */
export function benchGuest(): string {
  const output = execFileSync(
    'guest/build-test-guest.sh',
    ['--arch', 'arm64', '--cache', 'node_modules/.cache/vmplan-test-guest'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return resolve(output.trim().split('\n').pop()!);
}

/** Where a VM job's time went. */
export interface Timing {
  startToCommand: number;
  commandToExit: number;
  total: number;
  hostLog: string;
  /** Workspace setup inside the guest (mounts, overlay), from the agent's console line. */
  guestSetupMs: number;
  /** The job's recorded phases: milliseconds by phase name. */
  phases: Record<string, number>;
  /** What the command printed. */
  guestLog: string;
  /** The test guest's init: the guest's uptime when the kernel handed over and when its drivers were in (ms). */
  init: { kernelMs: number; driversMs: number };
}

/** Runs one job in a fresh project and times it from the node start to its first guest output and its end. */
export async function timeJob(
  imageYaml: string,
  executor: 'vfkit' | 'qemu',
  files: (root: string) => void,
  mode: 'overlay' | 'copy',
  stateDir?: string,
  /** The job's command; it must print "started" first. */
  command = 'echo started',
): Promise<Timing> {
  const root = mkdtempSync(join(tmpdir(), 'vmplan-bench-vm-'));
  try {
    files(root);
    const yaml = `version: 1
images:
  ${imageYaml}
workspace: { mode: ${mode} }
jobs:
  probe: { run: ${JSON.stringify(command)}, image: ${imageYaml.split(':')[0]}, executor: ${executor} }
`;
    const plan = buildPlan(parseJobsFile(yaml, 'bench.yml').config, {
      source: { repository: null, commit: null, ref: null, event: 'bench' },
      jobsFile: { name: 'bench.yml', sha256: '0'.repeat(64) },
      trust: { trusted: true, reason: 'trust: trusted' },
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
    const layout = new StateLayout(stateDir ?? join(root, '.vmplan'));
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
      preparer: new HostImagePreparer(layout.cacheDir),
      maxParallel: 1,
      failFast: true,
      rerun: undefined,
      progress,
      note: () => undefined,
      signal: new AbortController().signal,
      trust: trustedPolicy(),
    });
    if (run.status !== 'passed') throw new Error(`bench job ${run.status}: ${run.message}`);
    const hostLog = readFileSync(join(layout.runDir(run.runId), 'jobs/probe/host.log'), 'utf8');
    const consoleLog = readFileSync(join(layout.runDir(run.runId), 'jobs/probe/console.log'), 'utf8');
    const record = JSON.parse(
      readFileSync(join(layout.runDir(run.runId), 'jobs/probe/status.json'), 'utf8'),
    ) as NodeRecord;
    return {
      startToCommand: firstOutput - started,
      commandToExit: finished - firstOutput,
      total: finished - started,
      hostLog,
      guestSetupMs: Number(/workspace ready \(\w+\) in (\d+) ms/.exec(consoleLog)?.[1] ?? Number.NaN),
      phases: Object.fromEntries((record.phases ?? []).map((phase) => [phase.phase, phase.ms])),
      guestLog: readFileSync(join(layout.runDir(run.runId), 'jobs/probe/guest.log'), 'utf8'),
      init: initTimes(consoleLog),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The test guest's init line (`the kernel handed over at X s, the drivers were in at Y s`), in milliseconds. */
export function initTimes(consoleLog: string): { kernelMs: number; driversMs: number } {
  const found = /the kernel handed over at ([\d.]+) s, the drivers were in at ([\d.]+) s/.exec(consoleLog);
  return {
    kernelMs: found === null ? Number.NaN : Number(found[1]) * 1000,
    driversMs: found === null ? Number.NaN : Number(found[2]) * 1000,
  };
}
