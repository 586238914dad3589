import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionHarness, makeWorkspace, type StepResult } from '../support/github/action-harness.js';
import { type GitHubServices, startGitHubServices } from '../support/github/services.js';
import { TwirpArtifacts } from '../support/github/twirp-artifacts.js';

let services: GitHubServices;
let nextRun = 9000;
const flags = mkdtempSync(join(tmpdir(), 'vmplan-scale-flags-'));

beforeAll(async () => {
  services = await startGitHubServices({ apiListsArtifacts: true });
});

afterAll(async () => {
  await services?.stop();
  rmSync(flags, { recursive: true, force: true });
});

/** A simulated workflow run: its id, and a step runner whose artifacts belong to it. */
function workflowRun(workspace: string) {
  const runId = nextRun++;
  // GitHub's API knows the run: a push to this repository, of the commit checked out now.
  services.api.workflowRuns.set(runId, {
    event: 'push',
    head_sha: execFileSync('git', ['rev-parse', 'HEAD'], { cwd: workspace, encoding: 'utf8' }).trim(),
    head_repository: { full_name: 'acme/widgets' },
  });
  const runServices = {
    resultsUrl: services.resultsUrl,
    apiUrl: services.apiUrl,
    runtimeToken: TwirpArtifacts.token(`run-${runId}`, `job-${runId}`),
  };
  const step = (inputs: Record<string, string>, job = 'vms', attempt = 1): Promise<StepResult> =>
    new ActionHarness(
      workspace,
      { 'github-token': 'test-token', ...inputs },
      { GITHUB_RUN_ID: String(runId), GITHUB_JOB: job, GITHUB_RUN_ATTEMPT: String(attempt) },
      { name: 'push', payload: {} },
      runServices,
    ).start('main').done;
  return { runId, step };
}

/** Downloads what a plan-only step uploaded, as a later job of the workflow would with actions/download-artifact. */
async function downloadPlan(runId: number, into: string): Promise<string> {
  const artifact = services.twirp.artifacts.find(
    (a) => a.runBackendId === `run-${runId}` && a.name.startsWith('vmplan-plan-'),
  )!;
  const response = await fetch(services.twirp.downloadUrl(artifact));
  const path = join(into, artifact.name);
  writeFileSync(path, Buffer.from(await response.arrayBuffer()));
  return path;
}

const JOBS = `version: 1
defaults: { executor: host }
jobs:
  build: { run: echo build }
  unit: { run: echo unit, needs: build }
  e2e: { run: echo e2e, needs: unit }
  lint: { run: echo lint }
  docs: { run: echo docs }
  fmt: { run: echo fmt }
  flaky: { run: 'test -e ${flags}/flaky-fixed || { echo "src/a.c:1:1: error: flaky"; exit 1; }' }
`;

const statuses = (step: StepResult) =>
  Object.fromEntries(
    Object.entries(JSON.parse(step.outputs.results ?? '{}') as Record<string, { status: string }>).map(
      ([job, r]) => [job, r.status],
    ),
  );

describe('scaling out: shards, a merged report, reruns across workflow runs', () => {
  it('3 shards run disjoint parts of one plan; the merged report matches a single runner', async () => {
    const workspace = makeWorkspace({ '.github/vmplan.yml': JOBS, 'src/a.c': 'int x;\n' });
    const downloads = mkdtempSync(join(tmpdir(), 'vmplan-scale-'));

    // One runner for comparison.
    const single = workflowRun(workspace.root);
    const alone = await single.step({ 'fail-fast': 'false' });
    expect(alone.code).toBe(1);

    // The matrix: plan once, three shards, one report.
    const matrix = workflowRun(workspace.root);
    // The first run of a workflow has no recorded durations yet (a cache miss): a note, not a failure.
    const planned = await matrix.step({ 'plan-only': 'true', durations: 'vmplan-durations.json' }, 'plan');
    expect(planned.code, planned.stdout).toBe(0);
    expect(planned.commands.find((c) => c.command === 'notice')?.message).toBe(
      'no recorded durations at vmplan-durations.json (yet): shards are balanced by job count',
    );
    const planFile = await downloadPlan(matrix.runId, downloads);
    const shards = await Promise.all(
      [1, 2, 3].map((index) =>
        matrix.step(
          { plan: planFile, shard: `${index}/3`, 'check-runs': 'false', 'fail-fast': 'false' },
          'shard',
        ),
      ),
    );
    const ran = shards.map((shard) => Object.keys(JSON.parse(shard.outputs.results ?? '{}')).sort());
    // Disjoint, covering every job, and each job with what it needs.
    expect(ran.flat().sort()).toEqual(['build', 'docs', 'e2e', 'flaky', 'fmt', 'lint', 'unit']);
    expect(new Set(ran.flat()).size).toBe(7);
    expect(ran.find((jobs) => jobs.includes('e2e'))).toEqual(
      expect.arrayContaining(['build', 'unit', 'e2e']),
    );
    expect(ran.every((jobs) => jobs.length > 0)).toBe(true);

    const report = await matrix.step({ mode: 'report' }, 'report');
    expect(report.code).toBe(1);
    expect(statuses(report)).toEqual(statuses(alone));
    expect(report.summary).toContain('## vmplan report: failed — 3 result(s) merged');
    expect(report.summary).toContain('| ❌ failed | `flaky` |');
    expect(
      report.commands.some(
        (c) => c.command === 'error' && c.properties.title === 'vmplan: flaky failed (exit 1)',
      ),
    ).toBe(true);
    const check = (name: string) =>
      [...services.api.checkRuns.values()]
        .filter((run) => run.name === `vmplan / ${name}` && run.head_sha === workspace.head)
        .map((run) => run.conclusion);
    // The single runner and the report each completed one check run per job, with the same conclusions.
    expect(check('flaky')).toEqual(['failure', 'failure']);
    expect(check('e2e')).toEqual(['success', 'success']);
    // The same title and annotations in both.
    const runsOf = (name: string) =>
      [...services.api.checkRuns.values()].filter(
        (run) => run.name === `vmplan / ${name}` && run.head_sha === workspace.head,
      );
    const [fromSingle, fromReport] = runsOf('flaky');
    const title = (run: typeof fromSingle) => (run!.output as { title: string }).title.replace(/ in .*$/, '');
    expect(title(fromReport)).toBe(title(fromSingle));
    expect(title(fromReport)).toBe('flaky: failed (exit 1)');
    const timeless = (run: typeof fromSingle) =>
      JSON.parse(JSON.stringify(run!.annotations).replace(/\d+ ms/g, 'N ms'));
    expect(timeless(fromReport)).toEqual(timeless(fromSingle));
    expect(fromReport!.annotations.map((a) => (a as { path: string }).path)).toEqual([
      '.github/vmplan.yml',
      'src/a.c',
    ]);
    // The report records durations of the passed jobs, for the next plan's shards.
    const durations = JSON.parse(readFileSync(report.outputs['durations-path']!, 'utf8'));
    expect(Object.keys(durations).sort()).toEqual(['build', 'docs', 'e2e', 'fmt', 'lint', 'unit']);

    // "Re-run failed jobs": only the shard with the flaky job runs again (attempt 2), then the report; the
    // shard's latest results count.
    writeFileSync(join(flags, 'flaky-fixed'), '');
    const flakyShard = ran.findIndex((jobs) => jobs.includes('flaky')) + 1;
    const again = await matrix.step(
      { plan: planFile, shard: `${flakyShard}/3`, 'check-runs': 'false' },
      'shard',
      2,
    );
    expect(again.code, again.stdout).toBe(0);
    const report2 = await matrix.step({ mode: 'report' }, 'report', 2);
    expect(report2.code, report2.stdout).toBe(0);
    expect(Object.values(statuses(report2))).toEqual(Array(7).fill('passed'));
    expect(report2.summary).toContain(`shard ${flakyShard}/3 ran again`);
    expect(services.api.rejected).toEqual([]);
  }, 120_000);

  it('reruns only what failed in an earlier workflow run, from its plan and results artifacts', async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': JOBS.replaceAll('flaky-fixed', 'flaky-fixed-2'),
      'src/a.c': 'int x;\n',
    });
    const first = workflowRun(workspace.root);
    const failed = await first.step({ 'fail-fast': 'false', 'check-runs': 'false' });
    expect(failed.code).toBe(1);
    expect(statuses(failed).flaky).toBe('failed');

    writeFileSync(join(flags, 'flaky-fixed-2'), '');
    // A new commit since: the rerun runs against this checkout, and its plan says so.
    writeFileSync(join(workspace.root, 'NOTES.md'), 'fixed\n');
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: workspace.root, encoding: 'utf8' }).trim();
    git('add', '.');
    git('commit', '-q', '-m', 'fix');
    const second = workflowRun(workspace.root);
    const rerun = await second.step({ 'rerun-failed-from': String(first.runId), 'check-runs': 'false' });
    expect(rerun.code, rerun.stdout).toBe(0);
    expect(Object.keys(JSON.parse(rerun.outputs.results!))).toEqual(['flaky']);
    const runRecord = JSON.parse(readFileSync(join(rerun.state['run-dir']!, 'run.json'), 'utf8'));
    expect(runRecord.rerunOf).toBe(`github-run:${first.runId}`);
    // It failed there and passes here, but on a new commit: fixed, not flaky.
    const results = JSON.parse(readFileSync(join(rerun.state['run-dir']!, 'results.json'), 'utf8'));
    expect(results.jobs.flaky).toMatchObject({
      status: 'passed',
      flaky: false,
      earlier: { run: `github-run:${first.runId}`, status: 'failed', sameCode: false },
    });
    const plan = JSON.parse(readFileSync(rerun.outputs['plan-path']!, 'utf8'));
    expect(plan.source.commit).toBe(git('rev-parse', 'HEAD'));
    expect(plan.excluded.find((entry: { job: string }) => entry.job === 'lint').message).toBe(
      `passed in workflow run ${first.runId}`,
    );

    const third = workflowRun(workspace.root);
    const nothing = await third.step({ 'rerun-failed-from': String(second.runId) });
    expect(nothing.code).toBe(1);
    expect(nothing.commands.find((c) => c.command === 'error')?.message).toBe(
      `every job of workflow run ${second.runId} passed: nothing to rerun`,
    );
  }, 120_000);

  it('reports a shard that never reported as not run, and ignores a corrupt results.json with a note', async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': JOBS.replace(/ {2}flaky: .*\n/, ''),
      'src/a.c': 'int x;\n',
    });
    const downloads = mkdtempSync(join(tmpdir(), 'vmplan-scale-'));
    const run = workflowRun(workspace.root);
    await run.step({ 'plan-only': 'true' }, 'plan');
    const planFile = await downloadPlan(run.runId, downloads);
    const shard1 = await run.step({ plan: planFile, shard: '1/2', 'check-runs': 'false' }, 'shard');
    expect(shard1.code).toBe(0);
    // Shard 2 never ran; something else uploaded a broken results file.
    const broken = join(downloads, 'vmplan-results-broken.json');
    writeFileSync(broken, '{"schemaVersion": 1, "planId": "nope"');
    process.env.ACTIONS_RUNTIME_TOKEN = TwirpArtifacts.token(`run-${run.runId}`, 'job-x');
    process.env.ACTIONS_RESULTS_URL = services.resultsUrl;
    const { DefaultArtifactClient } = await import('@actions/artifact');
    await new DefaultArtifactClient().uploadArtifact('vmplan-results-broken.json', [broken], downloads, {
      skipArchive: true,
    });

    const report = await run.step({ mode: 'report', 'check-runs': 'false' }, 'report');
    expect(report.code).toBe(1);
    expect(report.summary).toContain(
      'no results from shard 2/2 (it did not finish or did not upload results.json)',
    );
    expect(report.summary).toMatch(/vmplan-results-broken\.json: not a results\.json: invalid JSON/);
    const merged = JSON.parse(report.outputs.results!) as Record<string, { status: string }>;
    const shard1Jobs = Object.keys(JSON.parse(shard1.outputs.results!));
    for (const [job, result] of Object.entries(merged))
      expect(result.status).toBe(shard1Jobs.includes(job) ? 'passed' : 'skipped');
    expect(readdirSync(downloads).length).toBeGreaterThan(0);

    // More shards than groups of jobs: the extra shard has nothing to do, and says why.
    const extra = await run.step({ plan: planFile, shard: '6/6', 'check-runs': 'false' }, 'extra');
    expect(extra.code, extra.stdout).toBe(0);
    expect(extra.commands.find((c) => c.command === 'notice')?.message).toBe(
      "shard 6/6 has no jobs: the plan's jobs form 4 group(s) tied together by needs, and each group runs in one shard. Use at most 4 shard(s).",
    );
  }, 120_000);
});
