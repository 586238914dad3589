// Run engine benchmarks (issue: run engine):
// - orchestration overhead per job: 100 host jobs running `true`, beyond the cost of the process itself;
// - parallel speedup: 8 jobs of `sleep 0.5` at max-parallel 1, 2, 4, 8;
// - peak RSS of `vmplan run` (the committed bundle) while a job prints 1 GiB (goal < 150 MB).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJobsFile } from '../src/config/parse.js';
import type { ProgressReporter } from '../src/engine/run-plan.js';
import { startRun } from '../src/engine/start-run.js';
import { HostExecutor } from '../src/executors/host/executor.js';
import { buildPlan } from '../src/plan/build.js';
import { trustedPolicy } from '../src/plan/trust.js';
import { StateLayout } from '../src/records/layout.js';
import { median, table } from './support.js';

const quiet: ProgressReporter = { nodeStarted() {}, nodeFinished() {}, liveSink: () => undefined };

async function runJobs(jobsYaml: string, maxParallel: number): Promise<{ ms: number; status: string }> {
  const root = mkdtempSync(join(tmpdir(), 'vmplan-bench-engine-'));
  try {
    writeFileSync(join(root, 'README.md'), 'bench\n');
    const { config } = parseJobsFile(jobsYaml, 'bench.yml');
    const plan = buildPlan(config, {
      source: { repository: null, commit: null, ref: null, event: 'bench' },
      jobsFile: { name: 'bench.yml', sha256: '0'.repeat(64) },
      trust: { trusted: true, reason: 'trust: trusted' },
      changes: { known: false, reason: 'bench' },
      defaultExecutor: 'host',
      createdAt: new Date().toISOString(),
    });
    const started = performance.now();
    const run = await startRun({
      plan,
      planPath: 'bench.yml',
      layout: new StateLayout(join(root, '.vmplan')),
      repositoryRoot: root,
      env: process.env,
      executors: { host: new HostExecutor() },
      preparer: undefined,
      maxParallel,
      failFast: true,
      rerun: undefined,
      progress: quiet,
      note: () => undefined,
      signal: new AbortController().signal,
      trust: trustedPolicy(),
    });
    return { ms: performance.now() - started, status: run.status };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function jobsFile(count: number, command: string): string {
  const lines = ['version: 1', 'defaults: { executor: host }', 'jobs:'];
  for (let i = 0; i < count; i++) lines.push(`  j${i}: { run: "${command}" }`);
  return lines.join('\n');
}

/** The same process a host job runs, started directly: the part of a job's cost vmplan does not add. */
function bareProcessMs(count: number): number {
  const started = performance.now();
  for (let i = 0; i < count; i++)
    spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', 'true']);
  return performance.now() - started;
}

async function overhead(): Promise<string[][]> {
  const count = 100;
  const samples: number[] = [];
  const bare: number[] = [];
  for (let round = 0; round < 3; round++) {
    const result = await runJobs(jobsFile(count, 'true'), 1);
    if (result.status !== 'passed') throw new Error(`bench run ${result.status}`);
    samples.push(result.ms);
    bare.push(bareProcessMs(count));
  }
  const total = median(samples);
  const processOnly = median(bare);
  return [
    ['100 jobs `true`, serial, total', `${total.toFixed(0)} ms`],
    ['the same 100 processes started directly', `${processOnly.toFixed(0)} ms`],
    ['vmplan overhead per job', `${((total - processOnly) / count).toFixed(1)} ms (goal ≤ 50 ms)`],
  ];
}

async function speedup(): Promise<string[][]> {
  const rows: string[][] = [];
  let serial = 0;
  for (const parallel of [1, 2, 4, 8]) {
    const result = await runJobs(jobsFile(8, 'sleep 0.5'), parallel);
    if (parallel === 1) serial = result.ms;
    rows.push([
      `8 × sleep 0.5 at max-parallel ${parallel}`,
      `${result.ms.toFixed(0)} ms (speedup ${(serial / result.ms).toFixed(2)}×)`,
    ]);
  }
  return rows;
}

async function peakRss(): Promise<string[][]> {
  const root = mkdtempSync(join(tmpdir(), 'vmplan-bench-rss-'));
  mkdirSync(join(root, '.github'));
  writeFileSync(
    join(root, '.github/vmplan.yml'),
    `version: 1\ndefaults: { executor: host }\njobs:\n  chatty: { run: "head -c 1073741824 /dev/zero | tr '\\\\0' x | fold -w 127" }\n`,
  );
  const child = spawn(process.execPath, [join(process.cwd(), 'bin/vmplan.js'), 'run'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout.resume(); // a reader that keeps up, as the Actions log does
  let peak = 0;
  const started = performance.now();
  const sampler = setInterval(() => {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (match !== null) peak = Math.max(peak, Number(match[1]) / 1024);
    } catch {
      // exited
    }
  }, 20);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  rmSync(root, { recursive: true, force: true });
  return [
    [
      'peak RSS of `vmplan run` (bundle) while a job prints 1 GiB',
      `${peak.toFixed(0)} MiB in ${seconds.toFixed(1)} s, exit ${code} (goal < 150 MB)`,
    ],
  ];
}

console.log('## bench/engine: orchestration, parallelism, memory');
console.log(
  table(['measure', 'result'], [...(await overhead()), ...(await speedup()), ...(await peakRss())]),
);
