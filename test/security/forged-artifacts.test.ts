import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEventPayload, workflowContext } from '../../src/action/workflow-context.js';
import { fetchWorkflowRun } from '../../src/github/workflow-runs.js';
import { buildPlan } from '../../src/plan/build.js';
import { writePlan } from '../../src/plan/io.js';
import { otherRunTrust, recordedTrust } from '../../src/plan/run-trust.js';
import type { PlanTrust } from '../../src/plan/schema.js';
import { cappedBy, decideTrust } from '../../src/plan/trust.js';
import { runVmplan } from '../support/cli.js';
import { ActionHarness, makeWorkspace, type StepResult } from '../support/github/action-harness.js';
import { type GitHubServices, startGitHubServices } from '../support/github/services.js';
import { TwirpArtifacts } from '../support/github/twirp-artifacts.js';
import { context, jobs } from '../support/jobs.js';

// Issue 28 class 1: everything a fork's pull_request run produces may be forged (its workflow file is the fork's
// own), so another run's artifacts never decide trust or the commit a check run lands on: GitHub does.
// Class 9a: `trust: auto` on a pull request whose event payload cannot be read is untrusted.

let services: GitHubServices;
let nextRun = 7100;
const folder = mkdtempSync(join(tmpdir(), 'vmplan-forged-'));

beforeAll(async () => {
  services = await startGitHubServices({ apiListsArtifacts: true });
});

afterAll(async () => {
  await services?.stop();
  rmSync(folder, { recursive: true, force: true });
});

const FORK_HEAD = 'f'.repeat(40);
const VICTIM = 'c'.repeat(40);
const FORGED_TRUST: PlanTrust = { trusted: true, reason: 'trust: trusted' };

/** A fresh marker path: a host job that runs creates it. */
function marker(): string {
  return join(folder, `ran-${randomBytes(4).toString('hex')}`);
}

/** What a fork's workflow can upload: a valid plan whose host job touches `touched`, claiming trust and a commit. */
function forgedPlanFile(touched: string, commit = VICTIM): string {
  const plan = buildPlan(jobs(`version: 1\njobs:\n  escape: { executor: host, run: touch ${touched} }\n`), {
    ...context({ source: { repository: 'acme/widgets', commit, ref: 'refs/heads/main', event: 'push' } }),
    trust: FORGED_TRUST,
  });
  const path = join(folder, `vmplan-plan-forged-${randomBytes(4).toString('hex')}.json`);
  writePlan(path, plan);
  return path;
}

/** Uploads a file as an artifact of workflow run `runId`, as a step of that run's workflow could. */
async function uploadAs(runId: number, path: string): Promise<void> {
  process.env.ACTIONS_RUNTIME_TOKEN = TwirpArtifacts.token(`run-${runId}`, `job-${runId}`);
  process.env.ACTIONS_RESULTS_URL = services.resultsUrl;
  const { DefaultArtifactClient } = await import('@actions/artifact');
  const name = path.split('/').pop()!;
  await new DefaultArtifactClient().uploadArtifact(name, [path], folder, { skipArchive: true });
}

/** A fork's pull_request run that uploaded a forged plan; GitHub's API knows it as what it was. */
async function forkRunWithForgedPlan(touched: string, known = true): Promise<number> {
  const runId = nextRun++;
  if (known)
    services.api.workflowRuns.set(runId, {
      event: 'pull_request',
      head_sha: FORK_HEAD,
      head_repository: { full_name: 'mallory/widgets' },
    });
  await uploadAs(runId, forgedPlanFile(touched));
  return runId;
}

/** A step of a new workflow run of acme/widgets, on `event`. */
function step(
  workspace: string,
  inputs: Record<string, string>,
  event: { name: string; payload: unknown } = { name: 'workflow_dispatch', payload: {} },
  env: Record<string, string> = {},
): { runId: number; done: Promise<StepResult> } {
  const runId = nextRun++;
  const harness = new ActionHarness(
    workspace,
    { 'github-token': 'maintainer-token', ...inputs },
    { GITHUB_RUN_ID: String(runId), ...env },
    event,
    {
      resultsUrl: services.resultsUrl,
      apiUrl: services.apiUrl,
      runtimeToken: TwirpArtifacts.token(`run-${runId}`, `job-${runId}`),
    },
  );
  return { runId, done: harness.start('main').done };
}

const errors = (result: StepResult) =>
  result.commands.filter((command) => command.command === 'error').map((command) => command.message);
const planArtifactsOf = (runId: number) =>
  services.twirp.artifacts.filter(
    (a) => a.runBackendId === `run-${runId}` && a.name.startsWith('vmplan-plan-'),
  );

const FORK_PR = {
  pull_request: {
    head: { sha: FORK_HEAD, ref: 'feature', repo: { full_name: 'mallory/widgets' } },
    base: { sha: 'e'.repeat(40), repo: { full_name: 'acme/widgets' } },
  },
};

describe('another run of a fork: its artifacts never make a rerun trusted', () => {
  for (const trust of ['auto', 'trusted']) {
    it(`rerun-failed-from a fork's run with a forged plan runs nothing on the host (trust: ${trust})`, async () => {
      const touched = marker();
      const forkRun = await forkRunWithForgedPlan(touched);
      const workspace = makeWorkspace({ 'README.md': 'hello\n' });
      const rerun = step(workspace.root, { 'rerun-failed-from': String(forkRun), trust });
      const result = await rerun.done;
      expect(result.code, result.stdout).toBe(1);
      expect(errors(result).join('\n')).toContain(
        `jobs.escape.executor: runs on the runner itself (executor host); rerunning workflow run ${forkRun} (a pull_request run of mallory/widgets: untrusted under trust: auto) allows VM executors only`,
      );
      expect(existsSync(touched)).toBe(false);
      // The refused plan did not become an artifact anyone could rerun in turn.
      expect(planArtifactsOf(rerun.runId)).toEqual([]);
      // GitHub was asked what the run was.
      expect(
        services.api.requests.some(
          (request) =>
            request.method === 'GET' && request.path === `/repos/acme/widgets/actions/runs/${forkRun}`,
        ),
      ).toBe(true);
    }, 60_000);
  }

  it('refuses to use the artifacts of a run GitHub cannot describe (fails closed)', async () => {
    const touched = marker();
    const unknownRun = await forkRunWithForgedPlan(touched, false);
    const workspace = makeWorkspace({ 'README.md': 'hello\n' });
    const result = await step(workspace.root, { 'rerun-failed-from': String(unknownRun), trust: 'trusted' })
      .done;
    expect(result.code).toBe(1);
    expect(errors(result)).toEqual([
      `cannot tell what workflow run ${unknownRun} was: GitHub's API answered 404 to GET /repos/acme/widgets/actions/runs/${unknownRun}. vmplan uses another run's artifacts only once GitHub says whose code that run ran (the github-token needs actions: read)`,
    ]);
    expect(existsSync(touched)).toBe(false);
  }, 60_000);

  it("reruns the same plan's host job when GitHub says the run was a push to this repository", async () => {
    const touched = marker();
    const runId = nextRun++;
    services.api.workflowRuns.set(runId, {
      event: 'push',
      head_sha: VICTIM,
      head_repository: { full_name: 'acme/widgets' },
    });
    await uploadAs(runId, forgedPlanFile(touched));
    const workspace = makeWorkspace({ 'README.md': 'hello\n' });
    const result = await step(workspace.root, { 'rerun-failed-from': String(runId), 'check-runs': 'false' })
      .done;
    expect(result.code, result.stdout).toBe(0);
    expect(existsSync(touched)).toBe(true);
  }, 60_000);
});

describe("a fork's own run publishes no plan the trust policy refuses", () => {
  it('uploads no plan artifact for a refused pull request from a fork', async () => {
    const touched = marker();
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1\njobs:\n  escape: { executor: host, run: touch ${touched} }\n`,
    });
    const refused = step(workspace.root, {}, { name: 'pull_request', payload: FORK_PR });
    const result = await refused.done;
    expect(result.code).toBe(1);
    expect(errors(result).join('\n')).toContain('trust: auto (untrusted for a pull request from a fork)');
    expect(planArtifactsOf(refused.runId)).toEqual([]);
    expect(result.outputs['plan-artifact-id']).toBeUndefined();
    expect(existsSync(touched)).toBe(false);
  }, 60_000);
});

describe("check runs land on the commit GitHub names, never on a plan artifact's commit", () => {
  it('mode: report with results-from puts check runs on the head GitHub reports for that run', async () => {
    const forkRun = await forkRunWithForgedPlan(marker());
    const workspace = makeWorkspace({ 'README.md': 'hello\n' });
    const report = step(
      workspace.root,
      { mode: 'report', 'results-from': String(forkRun), 'check-runs': 'true' },
      { name: 'workflow_run', payload: {} },
    );
    await report.done;
    const created = services.api.requests.filter(
      (request) => request.method === 'POST' && request.path === '/repos/acme/widgets/check-runs',
    );
    const shas = created
      .filter((request) => request.body.name === 'vmplan / escape')
      .map((r) => r.body.head_sha);
    expect(shas.length).toBeGreaterThan(0);
    expect(shas.every((sha) => sha === FORK_HEAD)).toBe(true);
    expect(services.api.checkRun('vmplan / escape', VICTIM)).toBeUndefined();
  }, 60_000);

  it("mode: report of this run puts check runs on the event's commit", async () => {
    const workspace = makeWorkspace({ 'README.md': 'hello\n' });
    // A step of this run uploaded a plan naming another commit (a fork's workflow can).
    const runId = nextRun;
    await uploadAs(runId, forgedPlanFile(marker()));
    const report = step(
      workspace.root,
      { mode: 'report', 'check-runs': 'true' },
      { name: 'push', payload: {} },
    );
    expect(report.runId).toBe(runId);
    await report.done;
    expect(services.api.checkRun('vmplan / escape', workspace.head)).toBeDefined();
    expect(services.api.checkRun('vmplan / escape', VICTIM)).toBeUndefined();
  }, 60_000);
});

describe('a plan made untrusted runs untrusted on the command line', () => {
  const planMadeUntrusted = (touched: string) => {
    const plan = buildPlan(jobs(`version: 1\njobs:\n  escape: { executor: host, run: touch ${touched} }\n`), {
      ...context(),
      trust: { trusted: false, reason: 'trust: auto (untrusted for a pull request from a fork)' },
    });
    const path = join(folder, `plan-${randomBytes(4).toString('hex')}.json`);
    writePlan(path, plan);
    return path;
  };

  it('vmplan run --plan refuses its host job unless --trust trusted is given', async () => {
    const touched = marker();
    const workspace = makeWorkspace({ 'README.md': 'hello\n' });
    const plan = planMadeUntrusted(touched);
    const args = [
      'run',
      '--plan',
      plan,
      '--workspace',
      workspace.root,
      '--state-dir',
      join(workspace.root, '.s'),
    ];
    const refused = await runVmplan(args, { cwd: workspace.root });
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(
      'jobs.escape.executor: runs on the runner itself (executor host); running a plan made under trust: auto (untrusted for a pull request from a fork) (--trust trusted overrides) allows VM executors only',
    );
    expect(existsSync(touched)).toBe(false);
    const allowed = await runVmplan([...args, '--trust', 'trusted'], { cwd: workspace.root });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(existsSync(touched)).toBe(true);
  }, 60_000);

  it("the action's plan input under trust: auto refuses its host job, even on a push", async () => {
    const touched = marker();
    const workspace = makeWorkspace({ 'README.md': 'hello\n' });
    const result = await step(
      workspace.root,
      { plan: planMadeUntrusted(touched), 'check-runs': 'false' },
      { name: 'push', payload: {} },
    ).done;
    expect(result.code, result.stdout).toBe(1);
    expect(errors(result).join('\n')).toContain(
      'jobs.escape.executor: runs on the runner itself (executor host); running a plan made under trust: auto (untrusted for a pull request from a fork) (trust: trusted overrides) allows VM executors only',
    );
    expect(existsSync(touched)).toBe(false);
  }, 60_000);
});

describe('trust: auto fails closed on a pull request whose event payload cannot be read', () => {
  const env = { GITHUB_EVENT_NAME: 'pull_request', GITHUB_REPOSITORY: 'acme/widgets' };
  const trustFor = (path: string | undefined, event = 'pull_request') => {
    const read = readEventPayload(path);
    const ctx = workflowContext({ ...env, GITHUB_EVENT_NAME: event }, read.payload, read.unreadable);
    return decideTrust(
      'auto',
      { event, forkPullRequest: ctx.pullRequestFromElsewhere, unknownOrigin: ctx.pullRequestOriginUnknown },
      { imagePaths: [] },
    );
  };
  const file = (text: string) => {
    const path = join(folder, `event-${randomBytes(4).toString('hex')}.json`);
    writeFileSync(path, text);
    return path;
  };

  it('is untrusted when the payload is missing, not JSON, of the wrong shape, or has no pull request', () => {
    const missing = join(folder, 'no-such-event.json');
    const cases: [string | undefined, string][] = [
      [undefined, 'the pull_request event payload is not given (GITHUB_EVENT_PATH is not set)'],
      [missing, `the pull_request event payload could not be read (${missing}: ENOENT)`],
      [folder, `the pull_request event payload could not be read (${folder}: EISDIR)`],
      [file('{"pull_request": '), 'the pull_request event payload is not JSON'],
      [file('[1]'), 'the pull_request event payload is not a valid event payload'],
      [
        file(JSON.stringify({ pull_request: { head: { repo: { full_name: 7 } } } })),
        'the pull_request event payload is not a valid event payload',
      ],
      [file('{}'), 'the pull_request event payload has no pull_request'],
    ];
    for (const [path, reason] of cases) {
      const policy = trustFor(path);
      expect(policy.trusted, String(path)).toBe(false);
      expect(policy.reason, String(path)).toContain(`trust: auto (untrusted: ${reason}`);
    }
    // The same for the review events auto otherwise trusts.
    for (const event of ['pull_request_review', 'pull_request_review_comment'])
      expect(trustFor(file('{}'), event).trusted, event).toBe(false);
  });

  it('still trusts a readable same-repository pull request, and a push without a payload', () => {
    const sameRepo = file(
      JSON.stringify({
        pull_request: {
          head: { sha: FORK_HEAD, repo: { full_name: 'acme/widgets' } },
          base: { sha: 'e'.repeat(40), repo: { full_name: 'acme/widgets' } },
        },
      }),
    );
    expect(trustFor(sameRepo).trusted).toBe(true);
    expect(trustFor(undefined, 'push').trusted).toBe(true);
  });

  it('refuses a host job through the action when the pull_request payload cannot be read', async () => {
    const touched = marker();
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1\njobs:\n  escape: { executor: host, run: touch ${touched} }\n`,
    });
    const result = await step(
      workspace.root,
      {},
      { name: 'pull_request', payload: {} },
      { GITHUB_EVENT_PATH: file('{"pull_request": ') },
    ).done;
    expect(result.code, result.stdout).toBe(1);
    expect(errors(result).find((text) => text.includes('jobs.escape.executor'))).toMatch(
      /runs on the runner itself \(executor host\); trust: auto \(untrusted: the pull_request event payload is not JSON \(.*\)\) allows VM executors only/,
    );
    expect(existsSync(touched)).toBe(false);
  }, 60_000);
});

describe('the rules in-process', () => {
  const run = (event: string, headRepository: string | null) => ({
    runId: 77,
    event,
    headSha: FORK_HEAD,
    headRepository,
  });

  it("judges another run by what GitHub says it was, with auto's allow-list", () => {
    expect(otherRunTrust(run('pull_request', 'mallory/widgets'), 'acme/widgets')).toEqual({
      trusted: false,
      reason:
        'rerunning workflow run 77 (a pull_request run of mallory/widgets: untrusted under trust: auto)',
    });
    expect(otherRunTrust(run('pull_request', null), 'acme/widgets').reason).toContain(
      'a pull_request run of a repository that is gone: untrusted',
    );
    for (const event of ['pull_request_target', 'workflow_run', 'issue_comment', 'something_new'])
      expect(otherRunTrust(run(event, 'acme/widgets'), 'acme/widgets').trusted, event).toBe(false);
    for (const event of ['push', 'workflow_dispatch', 'pull_request'])
      expect(otherRunTrust(run(event, 'acme/widgets'), 'acme/widgets').trusted, event).toBe(true);
    expect(otherRunTrust(run('push', 'acme/widgets'), 'acme/widgets').reason).toBe(
      'rerunning workflow run 77 (a push run of acme/widgets: trusted under trust: auto)',
    );
  });

  it('only ever lowers trust', () => {
    const trusted = decideTrust('trusted', { event: null, forkPullRequest: false }, { imagePaths: ['/i'] });
    const untrusted = decideTrust('untrusted', { event: null, forkPullRequest: false }, { imagePaths: [] });
    expect(cappedBy(trusted, { trusted: false, reason: 'why' })).toEqual({
      ...trusted,
      trusted: false,
      reason: 'why',
    });
    expect(cappedBy(trusted, { trusted: true, reason: 'why' })).toBe(trusted);
    expect(cappedBy(untrusted, { trusted: true, reason: 'why' })).toBe(untrusted);
    // An untrusted policy keeps its own reason (the setting that made it so), whatever the other limit says.
    expect(cappedBy(untrusted, { trusted: false, reason: 'why' })).toBe(untrusted);
    expect(
      recordedTrust({ trust: { trusted: false, reason: 'trust: untrusted' } }, '--trust trusted'),
    ).toEqual({
      trusted: false,
      reason: 'running a plan made under trust: untrusted (--trust trusted overrides)',
    });
    // Without a setting that lifts it, the limit names none; a plan made trusted limits nothing.
    expect(recordedTrust({ trust: { trusted: false, reason: 'trust: untrusted' } })).toEqual({
      trusted: false,
      reason: 'running a plan made under trust: untrusted',
    });
    const madeTrusted = { trusted: true, reason: 'trust: auto (trusted on push)' };
    expect(recordedTrust({ trust: madeTrusted }, '--trust trusted')).toBe(madeTrusted);
  });

  it("reads only a well-formed answer of GitHub's workflow-run API, and says why otherwise", async () => {
    const api = (answer: unknown) => ({
      request: async () => {
        if (answer instanceof Error) throw answer;
        return { data: answer };
      },
    });
    const where = { owner: 'acme', repo: 'widgets' };
    await expect(
      fetchWorkflowRun(
        api({ event: 'push', head_sha: VICTIM, head_repository: { full_name: 'acme/widgets' } }),
        where,
        5,
      ),
    ).resolves.toEqual({ runId: 5, event: 'push', headSha: VICTIM, headRepository: 'acme/widgets' });
    // A fork deleted after its pull request ran: GitHub answers `head_repository: null`. That is no repository,
    // never this one, so the run stays a fork's pull request, untrusted.
    const gone = await fetchWorkflowRun(
      api({ event: 'pull_request', head_sha: FORK_HEAD, head_repository: null }),
      where,
      6,
    );
    expect(gone).toEqual({ runId: 6, event: 'pull_request', headSha: FORK_HEAD, headRepository: null });
    expect(otherRunTrust(gone, 'acme/widgets')).toEqual({
      trusted: false,
      reason:
        'rerunning workflow run 6 (a pull_request run of a repository that is gone: untrusted under trust: auto)',
    });
    await expect(fetchWorkflowRun(api({ event: 'push', head_sha: 'HEAD' }), where, 5)).rejects.toThrow(
      "cannot tell what workflow run 5 was: GitHub's answer has no valid head_sha (expected a commit id)",
    );
    await expect(
      fetchWorkflowRun(api(Object.assign(new Error('Forbidden'), { status: 403 })), where, 5),
    ).rejects.toThrow("GitHub's API answered 403 to GET /repos/acme/widgets/actions/runs/5");
  });
});
