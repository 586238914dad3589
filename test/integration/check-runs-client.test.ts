// The check-runs client through the real Octokit client against the Checks API fake (which validates every body
// against GitHub's published schemas): what each job's check run receives, in which order, when the API is slow,
// refuses, or fails; and what the post step finishes from the index the main step left.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lazyOctokit } from '../../src/action/check-runs.js';
import { CheckRunsClient } from '../../src/github/check-runs-client.js';
import type { Annotation } from '../../src/report/annotations.js';
import { checkRunCompletion, checkRunStart } from '../../src/report/check-runs.js';
import { type ApiRequest, FakeGitHubApi } from '../support/github/fake-github-api.js';
import { jobReport } from '../support/jobs.js';

const HEAD = 'c'.repeat(40);
let folder: string;
let fake: FakeGitHubApi;
let url: string;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'vmplan-checks-'));
  fake = new FakeGitHubApi();
  url = await fake.start();
});

afterAll(async () => {
  await fake?.stop();
  rmSync(folder, { recursive: true, force: true });
});

let files = 0;
/** A client on the fake (or `at`), with a fresh index file unless given one; the warnings it gave. */
function client(options: { index?: string; at?: string } = {}) {
  const warnings: string[] = [];
  const index = options.index ?? join(folder, `checks-${files++}.json`);
  const checks = new CheckRunsClient(
    lazyOctokit('test-token', options.at ?? url),
    { owner: 'acme', repo: 'widgets' },
    HEAD,
    index,
    (message) => warnings.push(message),
  );
  return { checks, warnings, index };
}

const placed = (line: number): Annotation => ({
  level: 'error',
  title: `t${line}`,
  message: `m${line}`,
  file: 'src/a.c',
  line,
  job: 'unit',
  kind: 'diagnostic',
});

/** The requests the fake received after `from`, as method and the check run they name. */
const since = (from: number): ApiRequest[] => fake.requests.slice(from);

describe("a job's check run", () => {
  it('is created in progress, then completed with its conclusion, output and every annotation once', async () => {
    const before = fake.requests.length;
    const { checks, index } = client();
    await checks.started('unit', checkRunStart('unit'), '2026-12-07T10:00:00Z');
    const report = jobReport({ job: 'unit' });
    const annotations = Array.from({ length: 101 }, (_, i) => placed(i + 1));
    await checks.finished('unit', checkRunCompletion(report, annotations), '2026-12-07T10:01:00Z');

    const requests = since(before);
    const run = fake.checkRun('vmplan / unit', HEAD)!;
    const patch = `PATCH /repos/acme/widgets/check-runs/${run.id}`;
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /repos/acme/widgets/check-runs',
      patch,
      patch,
      patch,
    ]);
    expect(requests[0]!.body).toEqual({
      name: 'vmplan / unit',
      head_sha: HEAD,
      status: 'in_progress',
      started_at: '2026-12-07T10:00:00Z',
      output: { title: 'unit: running', summary: 'vmplan is running `unit`.' },
    });
    expect(requests[1]!.body).toMatchObject({
      name: 'vmplan / unit',
      status: 'completed',
      conclusion: 'failure',
      completed_at: '2026-12-07T10:01:00Z',
    });
    const lines = requests.map((r) =>
      ((r.body.output as { annotations?: { start_line: number }[] }).annotations ?? []).map(
        (a) => a.start_line,
      ),
    );
    expect(lines.map((batch) => batch.length)).toEqual([0, 50, 50, 1]);
    expect(lines.flat()).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    expect(run.annotations).toHaveLength(101);
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(fake.rejected).toEqual([]);
    // The index the post step reads: the run's id, completed.
    expect(JSON.parse(readFileSync(index, 'utf8'))).toEqual({ unit: { id: run.id, completed: true } });
  });

  it('completes the run it created even when the job ends before the API answered the creation', async () => {
    fake.createDelayMs = 300;
    try {
      const before = fake.requests.length;
      const { checks } = client();
      const started = checks.started('slow', checkRunStart('slow'), '2026-12-07T10:00:00Z');
      const finished = checks.finished(
        'slow',
        checkRunCompletion(jobReport({ job: 'slow', status: 'passed', exitCode: 0 }), []),
        '2026-12-07T10:00:01Z',
      );
      await Promise.all([started, finished]);
      const requests = since(before);
      expect(requests.map((r) => r.method)).toEqual(['POST', 'PATCH']);
      const run = fake.checkRun('vmplan / slow', HEAD)!;
      expect(requests[1]!.path).toBe(`/repos/acme/widgets/check-runs/${run.id}`);
      expect(run).toMatchObject({ status: 'completed', conclusion: 'success' });
    } finally {
      fake.createDelayMs = 0;
    }
  });

  it('of a job that never started is created completed, its first 50 annotations with it', async () => {
    const before = fake.requests.length;
    const { checks } = client();
    const report = jobReport({ job: 'never', status: 'skipped', exitCode: null, message: 'needs "unit"' });
    await checks.finished(
      'never',
      checkRunCompletion(
        report,
        Array.from({ length: 50 }, (_, i) => placed(i + 1)),
      ),
      '2026-12-07T10:00:00Z',
    );
    const requests = since(before);
    expect(requests.map((r) => r.method)).toEqual(['POST']);
    expect(requests[0]!.body).toMatchObject({
      name: 'vmplan / never',
      head_sha: HEAD,
      status: 'completed',
      conclusion: 'skipped',
    });
    expect(fake.checkRun('vmplan / never', HEAD)!.annotations).toHaveLength(50);
  });
});

describe('the post step', () => {
  it('completes as cancelled only the check runs the main step left in progress, from its index', async () => {
    const main = client();
    await main.checks.started('left', checkRunStart('left'), '2026-12-07T10:00:00Z');
    await main.checks.started('done', checkRunStart('done'), '2026-12-07T10:00:00Z');
    await main.checks.finished(
      'done',
      checkRunCompletion(jobReport({ job: 'done', status: 'passed', exitCode: 0 }), []),
      '2026-12-07T10:00:01Z',
    );
    const before = fake.requests.length;
    const post = client({ index: main.index });
    expect(await post.checks.cancelUnfinished('2026-12-07T10:05:00Z')).toBe(1);
    const requests = since(before);
    const left = fake.checkRun('vmplan / left', HEAD)!;
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `PATCH /repos/acme/widgets/check-runs/${left.id}`,
    ]);
    expect(left).toMatchObject({
      status: 'completed',
      conclusion: 'cancelled',
      completed_at: '2026-12-07T10:05:00Z',
      output: {
        title: 'left: cancelled',
        summary: 'The workflow was cancelled before this job finished.',
      },
    });
    expect(fake.checkRun('vmplan / done', HEAD)).toMatchObject({ conclusion: 'success' });
    // Nothing is left: a second post step has nothing to do.
    expect(await client({ index: main.index }).checks.cancelUnfinished('2026-12-07T10:06:00Z')).toBe(0);
  });
});

describe('an API that refuses or fails', () => {
  it('a token that cannot write checks turns them off with one warning, and no request after', async () => {
    const forbidden = new FakeGitHubApi();
    forbidden.forbid = true;
    const at = await forbidden.start();
    try {
      const { checks, warnings } = client({ at });
      await Promise.all(
        ['a', 'b', 'c'].map((job) => checks.started(job, checkRunStart(job), '2026-12-07T10:00:00Z')),
      );
      const asked = forbidden.requests.length;
      await checks.finished('a', checkRunCompletion(jobReport({ job: 'a' }), []), '2026-12-07T10:00:01Z');
      expect(forbidden.requests.length).toBe(asked);
      expect(warnings).toEqual([
        'check runs are off: the token cannot write checks (403, e.g. a pull request from a fork); results are in the job summary and annotations. Grant "checks: write" to get one check run per job.',
      ]);
    } finally {
      await forbidden.stop();
    }
  });

  it('a 404 (no checks API for this repository or token) turns them off too, with one warning, and no request after', async () => {
    // Under a path the fake does not serve, every check-run request is answered 404 Not Found.
    const before = fake.requests.length;
    const { checks, warnings } = client({ at: `${url}/gone` });
    await Promise.all(
      ['a', 'b'].map((job) => checks.started(job, checkRunStart(job), '2026-12-07T10:00:00Z')),
    );
    const asked = fake.requests.length;
    expect(asked - before).toBe(2);
    await checks.finished('a', checkRunCompletion(jobReport({ job: 'a' }), []), '2026-12-07T10:00:01Z');
    expect(await checks.cancelUnfinished('2026-12-07T10:00:02Z')).toBe(0);
    expect(fake.requests.length).toBe(asked);
    expect(warnings).toEqual([
      'check runs are off: the token cannot write checks (404); results are in the job summary and annotations. Grant "checks: write" to get one check run per job.',
    ]);
  });

  it('a request the API rejects warns once and never fails the job; the other jobs still get their runs', async () => {
    const { checks, warnings } = client();
    // A conclusion the Checks API does not know: 422, as GitHub answers.
    const bad = { ...checkRunCompletion(jobReport({ job: 'odd' }), []), conclusion: 'exploded' };
    await checks.finished('odd', bad, '2026-12-07T10:00:00Z');
    await checks.finished('odd2', bad, '2026-12-07T10:00:00Z');
    await checks.finished('fine', checkRunCompletion(jobReport({ job: 'fine' }), []), '2026-12-07T10:00:00Z');
    expect(warnings).toEqual([
      'a check-run request failed (422); results are in the job summary and annotations',
    ]);
    expect(fake.checkRun('vmplan / fine', HEAD)).toMatchObject({ conclusion: 'failure' });
    expect(fake.checkRun('vmplan / odd', HEAD)).toBeUndefined();
  });
});
