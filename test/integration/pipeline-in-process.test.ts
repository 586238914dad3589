// The run pipeline called in this process (not through the CLI) with real host jobs: real processes, files and
// records. The CLI tests prove the same behaviour end to end; these let mutation testing see the engine, the
// records and the report collection, which a child process hides from it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CollectedRun, RunPorts } from '../../src/pipeline/ports.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { buildPlan } from '../../src/plan/build.js';
import type { Plan, PlanNode } from '../../src/plan/schema.js';
import { decideTrust } from '../../src/plan/trust.js';
import { StateLayout } from '../../src/records/layout.js';
import type { NodeRecord } from '../../src/records/schema.js';
import { context, jobs } from '../support/jobs.js';
import { testProject } from '../support/project.js';

/** Ports that keep what the pipeline tells them: notes, node events in order, the collected run. */
function recordingPorts() {
  const events: string[] = [];
  const notes: string[] = [];
  let collected: CollectedRun | undefined;
  const ports: RunPorts = {
    note: (line) => notes.push(line),
    progress: {
      nodeStarted: (node: PlanNode) => events.push(`start ${node.id}`),
      nodeFinished: (node: PlanNode, record: NodeRecord) => events.push(`end ${node.id} ${record.status}`),
      liveSink: () => undefined,
    },
    runCreated: () => undefined,
    report: async (run) => {
      collected = run;
    },
  };
  return { ports, events, notes, collected: () => collected! };
}

/** Runs a jobs file's plan in a fresh project, in this process. */
async function runInProcess(
  yaml: string,
  options: { failFast?: boolean; maxParallel?: number; env?: NodeJS.ProcessEnv } = {},
  files: Record<string, string> = {},
) {
  const project = testProject(yaml, 'vmplan-in-process-');
  for (const [path, content] of Object.entries(files)) project.write(path, content);
  const plan: Plan = buildPlan(jobs(yaml), context());
  const layout = new StateLayout(join(project.root, '.vmplan'));
  const recording = recordingPorts();
  const returned = await runPipeline(
    {
      plan,
      basePlanId: plan.planId,
      planPath: '.github/vmplan.yml',
      layout,
      repositoryRoot: project.root,
      env: { ...process.env, ...options.env },
      executors: { base: project.root, options: {} },
      maxParallel: options.maxParallel,
      failFast: options.failFast ?? true,
      rerun: undefined,
      locate: (job) => ({ file: '.github/vmplan.yml', line: job === 'build' ? 4 : 5 }),
      trust: decideTrust('trusted', { event: null, forkPullRequest: false }, { imagePaths: [] }),
      signals: { reason: (signal) => `received ${signal}` },
    },
    recording.ports,
  );
  expect(recording.collected()).toBe(returned);
  const runDir = layout.runDir(returned.record.runId);
  const node = (job: string) => returned.nodes.find((record) => record.job === job)!;
  const log = (job: string) => readFileSync(join(runDir, 'jobs', job, 'host.log'), 'utf8');
  return { ...recording, run: returned, node, log, runDir, project };
}

describe('the run pipeline, in process', () => {
  it('runs needs in order, skips what depends on a failure (saying why), and reports every job', async () => {
    const { run, node, log, events } = await runInProcess(
      `version: 1
defaults: { executor: host }
jobs:
  build: { run: echo building; exit 3 }
  unit: { run: echo unit, needs: build }
  e2e: { run: echo e2e, needs: unit }
  lint: { run: echo linting }
`,
      { failFast: false, maxParallel: 1 },
    );
    expect(run.record).toMatchObject({
      status: 'failed',
      message: '"build" failed; 3 of 4 job(s) did not pass',
      counts: { failed: 1, skipped: 2, passed: 1 },
    });
    expect(run.record.durationMs).toBeGreaterThanOrEqual(0);
    expect(node('build')).toMatchObject({ status: 'failed', exitCode: 3, message: 'exited with code 3' });
    expect(node('unit')).toMatchObject({
      status: 'skipped',
      message: 'needs "build", which failed',
      exitCode: null,
    });
    expect(node('e2e')).toMatchObject({ status: 'skipped', message: 'needs "unit", which was skipped' });
    expect(node('lint')).toMatchObject({ status: 'passed', exitCode: 0, message: null });
    expect(node('build').durationMs).toBeGreaterThanOrEqual(0);
    expect(node('unit').durationMs).toBeNull();
    expect(log('build')).toContain('building\n');
    expect(log('lint')).toContain('linting\n');
    // One slot: build starts and ends before anything else; its dependents are skipped at once.
    expect(events.slice(0, 4)).toEqual([
      'start job:build',
      'end job:build failed',
      'end job:unit skipped',
      'end job:e2e skipped',
    ]);
    expect(events.slice(4)).toEqual(['start job:lint', 'end job:lint passed']);
    // The reports: one per job, the failed job annotated where it is defined.
    // In plan order: stage by stage.
    expect(run.jobs.map((job) => [job.job, job.status, job.exitCode])).toEqual([
      ['build', 'failed', 3],
      ['lint', 'passed', 0],
      ['unit', 'skipped', null],
      ['e2e', 'skipped', null],
    ]);
    expect(run.jobs[0]!.logTail).toContain('building');
    expect(run.annotations.filter((a) => a.kind === 'job')).toEqual([
      expect.objectContaining({
        level: 'error',
        title: 'vmplan: build failed (exit 3)',
        file: '.github/vmplan.yml',
        line: 4,
      }),
    ]);
    expect(run.infrastructure).toEqual([]);
    expect(run.signal).toBeUndefined();
    const results = JSON.parse(readFileSync(run.resultsPath, 'utf8'));
    expect(results.status).toBe('failed');
    expect(results).toMatchObject({ planId: run.plan.planId, runId: run.record.runId, shard: null });
    expect(
      Object.entries(results.jobs as Record<string, { status: string; exitCode: number | null }>).map(
        ([job, result]) => [job, result.status, result.exitCode],
      ),
    ).toEqual([
      ['build', 'failed', 3],
      ['lint', 'passed', 0],
      ['unit', 'skipped', null],
      ['e2e', 'skipped', null],
    ]);
    expect(results.jobs.build.annotations).toEqual([
      expect.objectContaining({ title: 'vmplan: build failed (exit 3)', line: 4 }),
    ]);
    // What the pipeline returned is what is on disk.
    const onDisk = JSON.parse(readFileSync(join(run.runDir, 'run.json'), 'utf8'));
    expect(onDisk).toEqual(run.record);
  });

  it('fail-fast cancels a running job and skips what had not started, naming the failure', async () => {
    const { run, node } = await runInProcess(
      `version: 1
defaults: { executor: host }
jobs:
  broken: { run: sleep 0.3; exit 1 }
  slow: { run: sleep 60 }
  later: { run: echo later, needs: slow }
`,
      { maxParallel: 2 },
    );
    expect(node('slow')).toMatchObject({ status: 'cancelled', message: 'fail-fast after "broken" failed' });
    expect(node('slow').durationMs).toBeLessThan(30_000);
    expect(node('later')).toMatchObject({
      status: 'skipped',
      message: 'not started: fail-fast after "broken" failed',
    });
    expect(run.record).toMatchObject({
      status: 'failed',
      message: '"broken" failed; 3 of 3 job(s) did not pass',
    });
  });

  it('a timed-out job ran for its whole timeout (not a shorter one), then triggers fail-fast', async () => {
    // timeout-minutes 0.02 is 1.2 s.
    const { run, node } = await runInProcess(
      `version: 1
defaults: { executor: host }
jobs:
  hangs: { run: sleep 60, timeout-minutes: 0.02 }
  slow: { run: sleep 60 }
`,
      { maxParallel: 2 },
    );
    expect(node('hangs')).toMatchObject({ status: 'timed_out', exitCode: null });
    expect(node('hangs').message).toMatch(/^timed out after 0\.02 minute\(s\); stopp/);
    expect(node('hangs').durationMs).toBeGreaterThanOrEqual(1200);
    expect(node('hangs').durationMs).toBeLessThan(30_000);
    expect(node('slow')).toMatchObject({ status: 'cancelled', message: 'fail-fast after "hangs" timed out' });
    expect(run.record.message).toBe('"hangs" timed out; 2 of 2 job(s) did not pass');
  });

  it('masks every occurrence of a secret in logs, records and reports', async () => {
    const secret = 'hunter2-"quoted"\\-secret';
    const { run, log, runDir } = await runInProcess(
      `version: 1
defaults: { executor: host }
jobs:
  deploy: { run: 'echo "$API_TOKEN and $API_TOKEN"; echo "$API_TOKEN" >&2; exit 4', secrets: [API_TOKEN] }
`,
      { env: { API_TOKEN: secret } },
    );
    expect(log('deploy')).toContain('*** and ***\n');
    expect(run.jobs[0]!.logTail).toContain('*** and ***');
    for (const file of [
      'plan.json',
      'run.json',
      'results.json',
      'jobs/deploy/status.json',
      'jobs/deploy/host.log',
    ])
      expect(readFileSync(join(runDir, file), 'utf8')).not.toContain('hunter2');
    expect(JSON.stringify(run)).not.toContain('hunter2');
  });

  it("collects artifacts, test reports and compiler errors into annotations on repository files, and the log's end", async () => {
    const { run, runDir, project } = await runInProcess(
      `version: 1
defaults: { executor: host }
jobs:
  build:
    run: |
      for i in $(seq 1 1000); do echo "progress line $i of a long build, padded to about eighty bytes......"; done
      mkdir -p out/bin test-results && echo app > out/bin/app
      printf '%s\\n' '<testsuite name="math"><testcase classname="math" name="adds" file="src/app.c" line="7"><failure message="expected 3 to be 4">AssertionError</failure></testcase><testcase classname="math" name="ok"/></testsuite>' > test-results/unit.xml
      echo "$PWD/src/app.c:3:5: error: expected ';' before 'return'"
      echo "/usr/include/stdio.h:1:1: warning: not ours"
      exit 1
    artifacts: [out/**, missing/*]
    reports: { junit: [test-results/] }
`,
      { failFast: false },
      { 'src/app.c': 'int main(void) {\n  return 0\n}\n' },
    );
    const jobDir = join(runDir, 'jobs/build');
    expect(readFileSync(join(jobDir, 'artifacts/out/bin/app'), 'utf8')).toBe('app\n');
    expect(readFileSync(join(jobDir, 'reports/test-results/unit.xml'), 'utf8')).toContain('<testsuite');
    expect(readFileSync(join(jobDir, 'host.log'), 'utf8')).toContain(
      'vmplan: no artifact matched "missing/*"',
    );
    expect(
      run.annotations
        .filter((a) => a.kind === 'diagnostic')
        .map((a) => [a.level, a.file, a.line, a.column, a.title]),
    ).toEqual([
      ['error', 'src/app.c', 3, 5, expect.stringContaining('gcc')],
      ['error', 'src/app.c', 7, undefined, 'test failed: math › adds (build)'],
    ]);
    // The report quotes the end of the log, from a whole line, and says it is only the end.
    const [report] = run.jobs;
    expect(report!.logTruncated).toBe(true);
    expect(report!.logTail).toMatch(/^progress line \d+ of a long build/);
    expect(report!.logTail).toContain("error: expected ';' before 'return'");
    expect(Buffer.byteLength(report!.logTail)).toBeLessThanOrEqual(64 * 1024);
    expect(Buffer.byteLength(report!.logTail)).toBeGreaterThan(64 * 1024 - 100);
    expect(project.root).not.toBe('');
  });
});
