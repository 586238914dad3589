// `mode: report` run in this process: shards of one plan upload their results.json to the artifact fake (Azurite
// behind the Twirp fake), then the report step merges them — what the runner reads back and what the Checks API
// fake received. test/e2e/scale-out.test.ts proves the same through child processes; here mutation testing sees the
// merge and the report code. Host jobs only: no VM boots here.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionHarness, makeWorkspace, type StepResult } from '../support/github/action-harness.js';
import { type GitHubServices, startGitHubServices } from '../support/github/services.js';
import { TwirpArtifacts } from '../support/github/twirp-artifacts.js';
// Loaded with the file, not by the first test that runs a step: module-level code (constants, schemas) then counts as
// loaded, not as covered by that one test, so mutation testing runs the tests that check those values against them.
import '../../src/action/main-step.js';
import '../../src/action/post-step.js';

let services: GitHubServices;
const downloads = mkdtempSync(join(tmpdir(), 'vmplan-report-in-process-'));

beforeAll(async () => {
  services = await startGitHubServices({ apiListsArtifacts: true });
}, 180_000);

afterAll(async () => {
  await services?.stop();
  rmSync(downloads, { recursive: true, force: true });
});

/** A step of workflow run `runId` (its artifacts are that run's), run in this process. */
function step(
  workspace: string,
  runId: number,
  inputs: Record<string, string>,
  job: string,
): Promise<StepResult> {
  return new ActionHarness(
    workspace,
    { 'github-token': 'test-token', ...inputs },
    { GITHUB_RUN_ID: String(runId), GITHUB_JOB: job },
    { name: 'push', payload: {} },
    {
      resultsUrl: services.resultsUrl,
      apiUrl: services.apiUrl,
      runtimeToken: TwirpArtifacts.token(`run-${runId}`, `job-${runId}`),
    },
  ).runMainInProcess();
}

describe('a merged report of shards', () => {
  it('counts every job as the shards ended them, completes a check run per job with its own annotations, and keeps passed durations', async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  build: { run: echo build }
  unit: { run: echo unit, needs: build }
  broken: { run: 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "src/a.c:$i:1: error: broken"; done; exit 2' }
  hangs: { run: sleep 60, timeout-minutes: 0.02 }
`,
      'src/a.c': 'int x;\n',
    });
    const runId = 8100;
    services.api.workflowRuns.set(runId, {
      event: 'push',
      head_sha: workspace.head,
      head_repository: { full_name: 'acme/widgets' },
    });
    const planned = await step(workspace.root, runId, { 'plan-only': 'true' }, 'plan');
    expect(planned.code, planned.stdout).toBe(0);
    const artifact = services.twirp.artifacts.find(
      (a) => a.runBackendId === `run-${runId}` && a.name.startsWith('vmplan-plan-'),
    )!;
    // The plan's outputs name its artifact and link it on this run's page.
    expect(planned.outputs).toMatchObject({
      'plan-artifact-id': artifact.id,
      'plan-artifact-name': artifact.name,
      'plan-artifact-url': `https://github.com/acme/widgets/actions/runs/${runId}/artifacts/${artifact.id}`,
    });
    const planFile = join(downloads, artifact.name);
    writeFileSync(
      planFile,
      Buffer.from(await (await fetch(services.twirp.downloadUrl(artifact))).arrayBuffer()),
    );

    const shards: StepResult[] = [];
    for (const index of [1, 2])
      shards.push(
        await step(
          workspace.root,
          runId,
          { plan: planFile, shard: `${index}/2`, 'check-runs': 'false', 'fail-fast': 'false' },
          'shard',
        ),
      );
    expect(shards.flatMap((shard) => Object.keys(JSON.parse(shard.outputs.results!))).sort()).toEqual([
      'broken',
      'build',
      'hangs',
      'unit',
    ]);

    const before = services.api.requests.length;
    const report = await step(workspace.root, runId, { mode: 'report' }, 'report');
    expect(report.code, report.stdout).toBe(1);
    expect(report.outputs).toMatchObject({ status: 'failed', passed: '2', failed: '2' });
    const results = JSON.parse(report.outputs.results!) as Record<string, { status: string }>;
    expect(Object.fromEntries(Object.entries(results).map(([job, r]) => [job, r.status]))).toEqual({
      build: 'passed',
      unit: 'passed',
      broken: 'failed',
      hangs: 'timed_out',
    });
    expect(report.summary.split('\n')[0]).toBe('## vmplan report: failed — 2 result(s) merged');
    expect(report.summary).toContain('| ⏱️ timed out | `hangs` |');

    // One completed check run per job, created by the report, each with its own job's annotations only.
    const created = services.api.requests
      .slice(before)
      .filter((r) => r.method === 'POST' && r.body.head_sha === workspace.head);
    expect(created.map((r) => `${r.body.name} ${r.body.status} ${r.body.conclusion}`).sort()).toEqual([
      'vmplan / broken completed failure',
      'vmplan / build completed success',
      'vmplan / hangs completed timed_out',
      'vmplan / unit completed success',
    ]);
    const annotated = (job: string) =>
      (
        ((created.find((r) => r.body.name === `vmplan / ${job}`)!.body.output as { annotations?: unknown[] })
          .annotations ?? []) as { path: string; start_line: number; title: string }[]
      ).map((a) => `${a.path}:${a.start_line} ${a.title}`);
    expect(annotated('broken')).toEqual([
      '.github/vmplan.yml:6 vmplan: broken failed (exit 2)',
      ...Array.from({ length: 12 }, (_, i) => `src/a.c:${i + 1} gcc: error (broken)`),
    ]);
    expect(annotated('hangs')).toEqual(['.github/vmplan.yml:7 vmplan: hangs timed out']);
    expect(annotated('build')).toEqual([]);
    expect(services.api.rejected).toEqual([]);

    // In the log: both jobs' failures, the first seven diagnostics, and the step's own failure: ten errors.
    const errors = report.commands.filter((c) => c.command === 'error');
    expect(errors.map((c) => `${c.properties.line ?? ''} ${c.properties.title ?? c.message}`)).toEqual([
      '6 vmplan: broken failed (exit 2)',
      '7 vmplan: hangs timed out',
      ...Array.from({ length: 7 }, (_, i) => `${i + 1} gcc: error (broken)`),
      ' vmplan: 2 job(s) did not pass: broken (failed), hangs (timed out)',
    ]);

    // The passed jobs' durations, for the next plan's shards.
    const durations = JSON.parse(readFileSync(report.outputs['durations-path']!, 'utf8')) as Record<
      string,
      number
    >;
    expect(Object.keys(durations).sort()).toEqual(['build', 'unit']);
    for (const ms of Object.values(durations)) expect(ms).toBeGreaterThan(0);
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: workspace.root, encoding: 'utf8' })).toBe(
      '',
    );
  });
});
