// The run pipeline called in this process (not through the CLI) with real host jobs: real processes, files and
// records. The CLI tests prove the same behaviour end to end; these let mutation testing see the engine, the
// records and the report collection, which a child process hides from it.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CollectedRun, RunPorts } from '../../src/pipeline/ports.js';
import { type RunRequest, runPipeline } from '../../src/pipeline/run.js';
import { buildPlan } from '../../src/plan/build.js';
import type { Plan, PlanNode } from '../../src/plan/schema.js';
import { decideTrust } from '../../src/plan/trust.js';
import { StateLayout } from '../../src/records/layout.js';
import type { NodeRecord } from '../../src/records/schema.js';
import { buildSummary } from '../../src/report/summary.js';
import { readResults } from '../../src/results/io.js';
import { context, jobs } from '../support/jobs.js';
import { prerequisite } from '../support/prerequisites.js';
import { testProject } from '../support/project.js';
import { withTmpfs } from '../support/tmpfs.js';

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

/** The request runInProcess gives the pipeline: a trusted run of `plan` in `root`, state in `layout`. */
function pipelineRequest(
  plan: Plan,
  layout: StateLayout,
  root: string,
  options: { failFast?: boolean; maxParallel?: number; env?: NodeJS.ProcessEnv } = {},
): RunRequest {
  return {
    plan,
    basePlanId: plan.planId,
    planPath: '.github/vmplan.yml',
    layout,
    repositoryRoot: root,
    env: { ...process.env, ...options.env },
    executors: { base: root, options: {} },
    maxParallel: options.maxParallel,
    failFast: options.failFast ?? true,
    rerun: undefined,
    locate: (job) => ({ file: '.github/vmplan.yml', line: job === 'build' ? 4 : 5 }),
    trust: decideTrust('trusted', { event: null, forkPullRequest: false }, { imagePaths: [] }),
    signals: { reason: (signal) => `received ${signal}` },
  };
}

/** Runs a jobs file's plan in a fresh project, in this process. */
async function runInProcess(
  yaml: string,
  options: { failFast?: boolean; maxParallel?: number; env?: NodeJS.ProcessEnv } = {},
  files: Record<string, string> = {},
  setup?: (root: string) => void,
) {
  const project = testProject(yaml, 'vmplan-in-process-');
  for (const [path, content] of Object.entries(files)) project.write(path, content);
  setup?.(project.root);
  const plan: Plan = buildPlan(jobs(yaml), context());
  const layout = new StateLayout(join(project.root, '.vmplan'));
  const recording = recordingPorts();
  const returned = await runPipeline(pipelineRequest(plan, layout, project.root, options), recording.ports);
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

  it("keeps a failed host job's workspace in jobs/<job>/workspace, with what the job left there; drops a passed one's", async () => {
    const { node, runDir } = await runInProcess(
      `version: 1
defaults: { executor: host }
jobs:
  broken: { run: echo "half-built" > made-by-job.txt; exit 2 }
  fine: { run: echo "done" > made-by-job.txt }
`,
      { failFast: false, maxParallel: 1 },
    );
    expect([node('broken').status, node('fine').status]).toEqual(['failed', 'passed']);
    expect(readFileSync(join(runDir, 'jobs/broken/workspace/made-by-job.txt'), 'utf8')).toBe('half-built\n');
    // The snapshot's files are there too: the workspace as the job left it.
    expect(existsSync(join(runDir, 'jobs/broken/workspace/.github/vmplan.yml'))).toBe(true);
    expect(existsSync(join(runDir, 'jobs/fine/workspace'))).toBe(false);
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

  it('reads a TAP report node --test wrote in the job: the failed test on its failing line, tests in every report', async () => {
    const { run, runDir } = await runInProcess(
      `version: 1
defaults: { executor: host }
jobs:
  node:
    run: mkdir -p out && node --test --test-reporter=tap --test-reporter-destination=out/unit.tap test/math.test.mjs
    reports: { tap: [out/*.tap] }
  typo:
    run: mkdir -p out && echo '<testsuite><testcase name="t"/>' > out/broken.xml
    reports: { junit: [out/*.xml, results/*.xml] }
  plain: { run: 'true' }
  none: { run: 'true', reports: { junit: [results/*.xml] } }
`,
      { failFast: false },
      {
        'test/math.test.mjs': `import { test } from 'node:test';
import assert from 'node:assert/strict';

test('adds', () => {
  assert.equal(1 + 1, 3);
});

test('passes', () => {});
`,
      },
    );
    expect(run.record.status).toBe('failed');
    // The assertion's line (the test starts on line 4), found through the stack in the report.
    expect(
      run.annotations.filter((a) => a.kind === 'diagnostic').map((a) => [a.file, a.line, a.title]),
    ).toEqual([['test/math.test.mjs', 5, 'test failed: adds (node)']]);
    const tests = Object.fromEntries(run.jobs.map((job) => [job.job, job.tests]));
    expect(tests.plain).toBeNull();
    expect(tests.node).toMatchObject({
      reports: 1,
      total: 2,
      passed: 1,
      failed: 1,
      skipped: 0,
      problems: [],
    });
    expect(tests.node!.failures.map((f) => [f.test, f.file, f.line])).toEqual([
      ['adds', 'test/math.test.mjs', 5],
    ]);
    expect(tests.typo).toMatchObject({ reports: 0, total: 0 });
    expect(tests.typo!.problems).toEqual([
      "out/broken.xml: not JUnit XML: Unclosed tag 'testsuite'. (line 1)",
    ]);
    expect(tests.none).toMatchObject({ reports: 0, problems: ['no report file matched results/*.xml'] });
    // results.json carries the same, for the report job of a sharded run.
    const results = readResults(join(runDir, 'results.json'));
    expect(results.jobs.node!.tests).toEqual(tests.node);
    expect(results.jobs.plain!.tests).toBeNull();
    const summary = buildSummary({ plan: run.plan, run: run.record, jobs: run.jobs, links: {} });
    expect(summary).toContain('| 1 passed, 1 failed in ');
    expect(summary).toMatch(/^\| `node` \| adds \| .+ \| `test\/math\.test\.mjs:5` \|$/m);
    expect(summary).toContain("- `typo`: out/broken.xml: not JUnit XML: Unclosed tag 'testsuite'. (line 1)");
  });
});

describe('retries, in process', () => {
  /** A script that fails (after printing a line) until it has run `passOn` times, counting in a file outside the workspace. */
  const failUntil = (counter: string, passOn: number, extra = '') =>
    `n=$(( $(cat ${counter} 2>/dev/null || echo 0) + 1 )); echo $n > ${counter}; echo "attempt $n"; ${extra} [ $n -ge ${passOn} ]`;

  it('a job that fails, then passes is flaky: every attempt recorded, its files kept apart, the last one its own', async () => {
    const counter = join(mkdtempSync(join(tmpdir(), 'vmplan-retry-')), 'count');
    const { run, node, log, runDir } = await runInProcess(
      `version: 1
defaults: { executor: host }
jobs:
  flaky:
    run: mkdir -p out && echo "attempt output" > out/a.txt && ${failUntil(counter, 2)}
    retries: 2
    artifacts: [out/]
  steady: { run: echo steady, retries: 1 }
`,
    );
    // Once, under a mutation run's load, this saw three attempts: say what each was, should it happen again.
    const seen = `attempts: ${JSON.stringify(node('flaky').attempts)}\nlog: ${log('flaky')}`;
    expect(run.record.status, seen).toBe('passed');
    const flaky = node('flaky');
    expect(flaky.status, seen).toBe('passed');
    expect(
      flaky.attempts!.map((a) => [a.attempt, a.status, a.cause, a.exitCode]),
      seen,
    ).toEqual([
      [1, 'failed', 'failure', 1],
      [2, 'passed', null, 0],
    ]);
    expect(flaky.attempts!.map((a) => a.folder)).toEqual(['jobs/flaky/attempts/1', 'jobs/flaky']);
    for (const attempt of flaky.attempts!)
      expect(Date.parse(attempt.finishedAt)).toBeGreaterThanOrEqual(Date.parse(attempt.startedAt));
    // The first attempt's log and artifacts, apart; its workspace gone (the second had a fresh one).
    expect(readFileSync(join(runDir, 'jobs/flaky/attempts/1/host.log'), 'utf8')).toContain('attempt 1');
    expect(readFileSync(join(runDir, 'jobs/flaky/attempts/1/artifacts/out/a.txt'), 'utf8')).toBe(
      'attempt output\n',
    );
    expect(existsSync(join(runDir, 'jobs/flaky/attempts/1/workspace'))).toBe(false);
    expect(log('flaky')).toMatch(
      /^vmplan: attempt 2 of 3 \(attempt 1 of 3 failed \(exit 1\): exited with code 1; its files: jobs\/flaky\/attempts\/1\)\n/m,
    );
    expect(log('flaky')).toContain('attempt 2');
    expect(log('flaky')).not.toContain('attempt 1\n');
    expect(node('steady').attempts).toBeUndefined();
    const report = run.jobs.find((job) => job.job === 'flaky')!;
    expect([report.flaky, report.attempts.length]).toEqual([true, 2]);
    expect(readResults(join(runDir, 'results.json')).jobs.flaky).toMatchObject({
      flaky: true,
      status: 'passed',
    });
    const summary = buildSummary({ plan: run.plan, run: run.record, jobs: run.jobs, links: {} });
    expect(summary).toMatch(/^\| ✅ passed, flaky \(2 attempts\) \| `flaky` \|/m);
    expect(summary).toMatch(
      /^- `flaky` — flaky: 1\. failed in [\d.]+ s, exit 1: exited with code 1; 2\. passed in [\d.]+ s, exit 0$/m,
    );
  });

  it('retries up to the limit, only for the causes retry-on names; a timeout counts per attempt', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmplan-retry-'));
    const { run, node } = await runInProcess(
      `version: 1
defaults: { executor: host }
jobs:
  broken:
    run: ${failUntil(join(dir, 'broken'), 99)}
    retries: 2
  not-on-failure:
    run: ${failUntil(join(dir, 'other'), 2)}
    retries: 3
    retry-on: [timeout]
  slow-once:
    run: ${failUntil(join(dir, 'slow'), 1, `[ $n -eq 1 ] && sleep 30;`)}
    timeout-minutes: 0.1
    retries: 1
    retry-on: [timeout]
`,
      { failFast: false },
    );
    expect(node('broken').attempts!.map((a) => a.status)).toEqual(['failed', 'failed', 'failed']);
    expect(node('broken').status).toBe('failed');
    expect(readFileSync(join(dir, 'broken'), 'utf8').trim()).toBe('3');
    // A failure is not a timeout: run once, no attempts recorded.
    expect(node('not-on-failure')).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(node('not-on-failure').attempts).toBeUndefined();
    const slow = node('slow-once');
    expect(slow.attempts!.map((a) => [a.status, a.cause])).toEqual([
      ['timed_out', 'timeout'],
      ['passed', null],
    ]);
    // Each attempt had the whole timeout (6 s: room for the second one to start and pass on a busy machine).
    expect(slow.attempts![0]!.durationMs).toBeGreaterThanOrEqual(6000);
    expect(slow.status).toBe('passed');
    const report = run.jobs.find((job) => job.job === 'broken')!;
    expect(report.flaky).toBe(false);
    expect(buildSummary({ plan: run.plan, run: run.record, jobs: run.jobs, links: {} })).toMatch(
      /^\| ❌ failed \(3 attempts\) \| `broken` \|/m,
    );
  });

  it("stops retrying, saying why, when an attempt's files cannot be kept apart", async () => {
    const { run, node } = await runInProcess(
      `version: 1
defaults: { executor: host }
jobs:
  squatter:
    run: touch "$VMPLAN_NODE_DIR/attempts"; exit 1
    retries: 2
`,
    );
    expect(node('squatter')).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(node('squatter').attempts).toBeUndefined();
    expect(node('squatter').message).toMatch(
      /^exited with code 1; not retried: attempt 1's files could not be kept apart \(ENOTDIR/,
    );
    expect(run.infrastructure).toEqual([expect.stringMatching(/^squatter: not retried: attempt 1's files/)]);
  });

  it('a test that failed in one attempt and passed in the next is a flaky test', async () => {
    const counter = join(mkdtempSync(join(tmpdir(), 'vmplan-retry-')), 'count');
    const report = (adds: string) =>
      `<testsuite name="calc"><testcase classname="calc" name="adds">${adds}</testcase><testcase classname="calc" name="steady"/></testsuite>`;
    const { run, log } = await runInProcess(
      `version: 1
defaults: { executor: host }
jobs:
  unit:
    run: |
      n=$(( $(cat ${counter} 2>/dev/null || echo 0) + 1 )); echo $n > ${counter}
      mkdir -p out
      if [ $n -eq 1 ]; then cp fail.xml out/junit.xml; exit 1; fi
      cp pass.xml out/junit.xml
    retries: 1
    reports: { junit: [out/*.xml] }
`,
      {},
      { 'fail.xml': report('<failure message="off by one"/>'), 'pass.xml': report('') },
    );
    expect(run.record.status, log('unit')).toBe('passed');
    const tests = run.jobs[0]!.tests!;
    expect([tests.passed, tests.failed]).toEqual([2, 0]);
    expect(tests.flaky).toEqual([{ test: 'calc › adds', suite: 'calc', history: ['failed', 'passed'] }]);
    const summary = buildSummary({ plan: run.plan, run: run.record, jobs: run.jobs, links: {} });
    expect(summary).toContain('| `unit` | calc › adds | ❌ → ✅ |');
  });
});

describe('outputs: build once, test many, in process', () => {
  it("runs a host job as GitHub's shell: bash (a failing pipe fails it), keeps no outputs of a failed job, and holds it to its limits", async () => {
    const { node, log, runDir } = await runInProcess(
      `version: 1
defaults: { executor: host }
jobs:
  piped: { run: 'false | true; echo reached > reached.txt', artifacts: ['*.txt'] }
  half-built: { run: 'mkdir -p dist && echo half > dist/app && exit 1', outputs: [dist/] }
  capped:
    run: 'mkdir -p out && for i in 1 2 3 4 5; do echo $i > out/$i.txt; done'
    artifacts: [out/]
    limits: { artifact-files: 2 }
`,
      { failFast: false, maxParallel: 1 },
    );
    expect(node('piped')).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(existsSync(join(runDir, 'jobs/piped/artifacts/reached.txt'))).toBe(false);
    expect(node('half-built').status).toBe('failed');
    expect(existsSync(join(runDir, 'jobs/half-built/outputs'))).toBe(false);
    expect(node('capped').status).toBe('passed');
    expect(readdirSync(join(runDir, 'jobs/capped/artifacts/out'))).toHaveLength(2);
    expect(log('capped')).toMatch(/artifact-files/);
  });

  it('the outputs of a job that passed are in the workspace of each job that needs it, read-only, at the same paths', async () => {
    const { run, node, log, runDir } = await runInProcess(
      `version: 1
defaults: { executor: host }
jobs:
  build:
    run: mkdir -p dist/sub && echo app > dist/app && echo x > dist/sub/x && echo not kept > other.txt
    outputs: [dist/]
  test-a:
    run: cat dist/app dist/sub/x && stat -c '%a %n' dist/app dist/sub dist/sub/x && test ! -e other.txt
    needs: build
  test-b: { run: 'cat dist/app', needs: build }
  unrelated: { run: 'test ! -e dist/app' }
`,
      { maxParallel: 1 },
    );
    expect(run.plan.nodes.find((n) => n.id === 'job:test-a')).toMatchObject({
      receives: [{ from: 'build', paths: ['dist/'] }],
    });
    expect(run.plan.nodes.find((n) => n.id === 'job:build')).toMatchObject({ outputs: ['dist/'] });
    expect(run.record.status, log('test-a')).toBe('passed');
    expect(log('test-a')).toContain('app\nx\n444 dist/app\n755 dist/sub\n444 dist/sub/x\n');
    expect(log('test-a')).toMatch(/^vmplan: outputs of build in the workspace \(read-only\): dist$/m);
    expect(node('test-b').status).toBe('passed');
    expect(readFileSync(join(runDir, 'jobs/build/outputs/dist/app'), 'utf8')).toBe('app\n');
    expect(existsSync(join(runDir, 'jobs/build/outputs/other.txt'))).toBe(false);
    expect(node('unrelated').status).toBe('passed');
  });

  it("a job whose needed outputs matched nothing fails, saying so (the provider's log says what matched nothing)", async () => {
    const { node, log } = await runInProcess(
      `version: 1
defaults: { executor: host }
jobs:
  build: { run: 'true', outputs: [dist/] }
  use: { run: 'true', needs: build }
`,
    );
    expect(node('build').status).toBe('passed');
    expect(log('build')).toContain('vmplan: no output matched "dist/"');
    expect(node('use')).toMatchObject({
      status: 'failed',
      message: 'the outputs of "build" are not there: its globs matched nothing, or that run was deleted',
    });
  });

  it('places outputs over whatever the repository has there: a link is replaced, never followed', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'vmplan-outside-'));
    const { run, log } = await runInProcess(
      `version: 1
defaults: { executor: host }
jobs:
  build: { run: 'rm -f dist && mkdir -p dist && echo built > dist/app', outputs: [dist/] }
  use: { run: 'test ! -L dist && cat dist/app', needs: build }
`,
      {},
      {},
      (root) => symlinkSync(outside, join(root, 'dist')),
    );
    expect(run.record.status, log('use')).toBe('passed');
    expect(log('use')).toContain('built\n');
    expect(readdirSync(outside)).toEqual([]);
  });
});

describe.skipIf(!prerequisite('root (to mount a small tmpfs)', process.getuid?.() === 0))(
  'the free-space check before a run, in process',
  () => {
    it('needs 2 GB by default when any job runs in a VM, also next to host jobs; a host-only run needs none', async () => {
      const outside = mkdtempSync(join(tmpdir(), 'vmplan-min-free-'));
      const marker = join(outside, 'ran');
      const mixed = `version: 1
images:
  guest: { arch: arm64, kernel: images/Image, initrd: images/initrd }
jobs:
  on-host: { run: touch ${marker}, executor: host }
  in-vm: { run: 'true', image: guest, executor: qemu }
`;
      const hostOnly = `version: 1
jobs:
  on-host: { run: touch ${marker}, executor: host }
`;
      const project = testProject(mixed, 'vmplan-min-free-');
      project.write('images/Image', 'kernel\n');
      project.write('images/initrd', 'initrd\n');
      onTestFinished(() => rmSync(outside, { recursive: true, force: true }));
      // A 64 MB disk for the state and cache folders: room for a host run, not for the VM default of 2 GB.
      await withTmpfs(outside, 'small-disk', 'size=64m', async (disk) => {
        const layout = new StateLayout(join(disk, 'state'), join(disk, 'cache'));
        const recording = recordingPorts();
        const mixedPlan = buildPlan(jobs(mixed), context());
        expect(mixedPlan.nodes.map((node) => node.executor)).toEqual(['host', 'host', 'qemu']);
        await expect(
          runPipeline(pipelineRequest(mixedPlan, layout, project.root), recording.ports),
        ).rejects.toThrow(
          new RegExp(
            `^only [\\d.]+ MB free for the state folder ${join(disk, 'state')}; a run needs 2\\.0 GB`,
          ),
        );
        // Refused before anything ran: no job, no run folder.
        expect(recording.events).toEqual([]);
        expect(existsSync(marker)).toBe(false);
        expect(existsSync(layout.runsDir) ? readdirSync(layout.runsDir) : []).toEqual([]);

        const hostPlan = buildPlan(jobs(hostOnly), context());
        const ran = await runPipeline(
          pipelineRequest(hostPlan, layout, project.root),
          recordingPorts().ports,
        );
        expect(ran.record.status).toBe('passed');
        expect(existsSync(marker)).toBe(true);
      });
    });
  },
);
