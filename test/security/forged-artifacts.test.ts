import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import { writePlan } from '../../src/plan/io.js';
import type { PlanTrust } from '../../src/plan/schema.js';
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
});

describe('trust: auto fails closed on a pull request whose event payload cannot be read', () => {
  const unreadable: [string, (path: string) => Record<string, string>, RegExp][] = [
    [
      'missing',
      (path) => ({ GITHUB_EVENT_PATH: `${path}.missing` }),
      /payload could not be read \(.*ENOENT\)/,
    ],
    [
      'not JSON',
      (path) => {
        writeFileSync(path, '{"pull_request": ');
        return { GITHUB_EVENT_PATH: path };
      },
      /payload is not JSON/,
    ],
    [
      'of the wrong shape',
      (path) => {
        writeFileSync(path, JSON.stringify({ pull_request: { head: { repo: { full_name: 7 } } } }));
        return { GITHUB_EVENT_PATH: path };
      },
      /payload is not a valid event payload \(.* at pull_request\.head\.repo\.full_name/,
    ],
    ['without the pull request', () => ({}), /payload has no pull_request/],
  ];
  for (const [what, env, reason] of unreadable) {
    it(`refuses a host job on pull_request when the payload is ${what}`, async () => {
      const touched = marker();
      const workspace = makeWorkspace({
        '.github/vmplan.yml': `version: 1\njobs:\n  escape: { executor: host, run: touch ${touched} }\n`,
      });
      const result = await step(
        workspace.root,
        {},
        { name: 'pull_request', payload: {} },
        env(join(folder, `event-${randomBytes(4).toString('hex')}.json`)),
      ).done;
      expect(result.code, result.stdout).toBe(1);
      const message = errors(result).find((text) => text.includes('jobs.escape.executor'));
      expect(message).toMatch(
        /runs on the runner itself \(executor host\); trust: auto \(untrusted: the pull_request event /,
      );
      expect(message).toMatch(reason);
      expect(existsSync(touched)).toBe(false);
    }, 60_000);
  }
});
