// `rerun-failed-from` run in this process: a first workflow run uploads its plan and results.json to the artifact
// fake, then later runs rerun what did not pass there — what the runner reads back and the results.json they upload.
// test/security/forged-artifacts.test.ts and test/e2e/scale-out.test.ts prove the trust and scale-out promises
// through child processes; here mutation testing sees how the rerun's plan is chosen and narrowed. Host jobs only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionHarness, makeWorkspace, type StepResult } from '../support/github/action-harness.js';
import { type GitHubServices, startGitHubServices } from '../support/github/services.js';
import { TwirpArtifacts } from '../support/github/twirp-artifacts.js';
// Loaded with the file (module-level code counts as loaded, not as covered by the first test).
import '../../src/action/main-step.js';

let services: GitHubServices;
const markers = mkdtempSync(join(tmpdir(), 'vmplan-rerun-markers-'));

beforeAll(async () => {
  services = await startGitHubServices({ apiListsArtifacts: true });
}, 180_000);

afterAll(async () => {
  await services?.stop();
  rmSync(markers, { recursive: true, force: true });
});

/** A step of workflow run `runId` (its artifacts are that run's), run in this process. */
function step(workspace: string, runId: number, inputs: Record<string, string>): Promise<StepResult> {
  return new ActionHarness(
    workspace,
    { 'github-token': 'test-token', 'check-runs': 'false', 'fail-fast': 'false', ...inputs },
    { GITHUB_RUN_ID: String(runId) },
    { name: 'push', payload: {} },
    {
      resultsUrl: services.resultsUrl,
      apiUrl: services.apiUrl,
      runtimeToken: TwirpArtifacts.token(`run-${runId}`, `job-${runId}`),
    },
  ).runMainInProcess();
}

type UploadedResults = {
  jobs: Record<
    string,
    { status: string; flaky: boolean; earlier: { status: string; sameCode: boolean } | null }
  >;
};

/** The results.json workflow run `runId` uploaded. */
async function uploadedResults(runId: number): Promise<UploadedResults> {
  const artifact = services.twirp.artifacts.find(
    (a) => a.runBackendId === `run-${runId}` && a.name.startsWith('vmplan-results-'),
  );
  expect(artifact, `results of run ${runId}`).toBeDefined();
  return (await (await fetch(services.twirp.downloadUrl(artifact!))).json()) as UploadedResults;
}

const statuses = (step: StepResult) =>
  Object.fromEntries(
    Object.entries(JSON.parse(step.outputs.results!) as Record<string, { status: string }>).map(
      ([job, result]) => [job, result.status],
    ),
  );

describe('rerun-failed-from', () => {
  it('reruns every job that did not pass there, and calls a flip flaky only when GitHub says that run ran this commit', async () => {
    // `flips` fails, then passes; `hangs` times out, then passes (15 s: room for a slow workspace on a busy
    // machine); `ok` passes and is not run again.
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  ok: { run: echo ok }
  flips: { run: 'test -f ${markers}/flips || { touch ${markers}/flips; exit 3; }' }
  hangs: { run: 'test -f ${markers}/hangs || { touch ${markers}/hangs; sleep 600; }', timeout-minutes: 0.25 }
`,
    });
    const first = 8300;
    services.api.workflowRuns.set(first, {
      event: 'push',
      head_sha: workspace.head,
      head_repository: { full_name: 'acme/widgets' },
    });
    const original = await step(workspace.root, first, {});
    expect(original.code, original.stdout).toBe(1);
    expect(statuses(original)).toEqual({ ok: 'passed', flips: 'failed', hangs: 'timed_out' });

    const rerun = await step(workspace.root, 8301, { 'rerun-failed-from': String(first) });
    expect(rerun.code, rerun.stdout).toBe(0);
    expect(statuses(rerun)).toEqual({ flips: 'passed', hangs: 'passed' });
    const same = await uploadedResults(8301);
    expect(same.jobs.flips).toMatchObject({
      flaky: true,
      earlier: { status: 'failed', sameCode: true },
    });
    expect(same.jobs.hangs).toMatchObject({
      flaky: true,
      earlier: { status: 'timed_out', sameCode: true },
    });

    // GitHub now says that run ran another commit (its plan still names this one): a pass there is a fix, not
    // chance. `only` narrows a rerun too.
    services.api.workflowRuns.set(first, {
      event: 'push',
      head_sha: 'b'.repeat(40),
      head_repository: { full_name: 'acme/widgets' },
    });
    const narrowed = await step(workspace.root, 8302, {
      'rerun-failed-from': String(first),
      only: 'flips',
    });
    expect(narrowed.code, narrowed.stdout).toBe(0);
    expect(statuses(narrowed)).toEqual({ flips: 'passed' });
    const other = await uploadedResults(8302);
    expect(other.jobs.flips).toMatchObject({
      flaky: false,
      earlier: { status: 'failed', sameCode: false },
    });
  });
});
