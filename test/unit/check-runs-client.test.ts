// The requests the check-runs client sends GitHub's Checks API, seen by a fake of its `request` (the slice of
// Octokit the client uses): one check run per job on the head commit, completed once; the post step (a new
// process, reading the index file the main step left) cancels only those still in progress; a read-only token
// turns check runs off with one warning and never fails the job.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckRunsClient, type ChecksApi } from '../../src/github/check-runs-client.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-check-runs-client-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const HEAD = 'a'.repeat(40);
const where = { owner: 'acme', repo: 'widgets' };

/** A fake Checks API: records each request; `answer` may make one slow or fail. */
function fakeApi(answer: (route: string, call: number) => Promise<void> = async () => {}) {
  const requests: { route: string; parameters: Record<string, unknown> }[] = [];
  let nextId = 100;
  const api: ChecksApi = {
    async request(route, parameters) {
      const call = requests.length;
      requests.push({ route, parameters });
      await answer(route, call);
      return { data: route.startsWith('POST') ? { id: nextId++ } : {} };
    },
  };
  return { api, requests };
}

const output = (title: string) => ({ title, summary: `${title}.` });
const completion = (job: string, batches: unknown[][] = []) => ({
  name: `vmplan / ${job}`,
  conclusion: 'success',
  output: output(`${job}: passed`),
  annotationBatches: batches,
});

describe('check runs, as the Checks API receives them', () => {
  it("completes the check run a job's start created, even when the creating request answers after the job ended", async () => {
    let release: () => void = () => {};
    const slowCreate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { api, requests } = fakeApi((_route, call) => (call === 0 ? slowCreate : Promise.resolve()));
    const client = new CheckRunsClient(api, where, HEAD, join(folder, 'slow.json'), () => {});
    const started = client.started('unit', { name: 'vmplan / unit', output: output('unit: running') }, 't0');
    const finished = client.finished('unit', completion('unit'), 't1');
    // The completion waits for the creation: nothing else was sent yet.
    await new Promise((resolve) => setImmediate(resolve));
    expect(requests.map((request) => request.route)).toEqual(['POST /repos/{owner}/{repo}/check-runs']);
    release();
    await Promise.all([started, finished]);
    expect(requests.map((request) => request.route)).toEqual([
      'POST /repos/{owner}/{repo}/check-runs',
      'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}',
    ]);
    expect(requests[0]!.parameters).toMatchObject({ head_sha: HEAD, status: 'in_progress' });
    expect(requests[1]!.parameters).toMatchObject({
      check_run_id: 100,
      status: 'completed',
      conclusion: 'success',
    });
  });

  it('the post step cancels only the check runs left in progress, once, from the index the main step wrote', async () => {
    const index = join(folder, 'index.json');
    const main = fakeApi();
    const step = new CheckRunsClient(main.api, where, HEAD, index, () => {});
    for (const job of ['built', 'hung', 'stuck'])
      await step.started(job, { name: `vmplan / ${job}`, output: output(`${job}: running`) }, 't0');
    await step.finished('built', completion('built'), 't1');
    // A new process: the post step.
    const post = fakeApi();
    const postClient = new CheckRunsClient(post.api, where, HEAD, index, () => {});
    expect(await postClient.cancelUnfinished('t2')).toBe(2);
    expect(
      post.requests.map((request) => [request.parameters.check_run_id, request.parameters.conclusion]),
    ).toEqual([
      [101, 'cancelled'],
      [102, 'cancelled'],
    ]);
    // Run again (a re-run post step), nothing is left to cancel.
    const again = fakeApi();
    expect(await new CheckRunsClient(again.api, where, HEAD, index, () => {}).cancelUnfinished('t3')).toBe(0);
    expect(again.requests).toEqual([]);
  });

  it('a read-only token turns check runs off with one warning; no job fails, and nothing more is sent', async () => {
    const forbidden = Object.assign(new Error('Resource not accessible by integration'), { status: 403 });
    const { api, requests } = fakeApi(async () => {
      throw forbidden;
    });
    const warnings: string[] = [];
    const client = new CheckRunsClient(api, where, HEAD, join(folder, 'fork.json'), (message) =>
      warnings.push(message),
    );
    await Promise.all(
      ['a', 'b', 'c'].map((job) =>
        client.started(job, { name: `vmplan / ${job}`, output: output(job) }, 't0'),
      ),
    );
    const sent = requests.length;
    await client.finished('a', completion('a'), 't1');
    await client.finished('b', completion('b', [[{ n: 1 }], [{ n: 2 }]]), 't1');
    expect(requests.length).toBe(sent);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^check runs are off: the token cannot write checks \(403, e\.g\. a pull request from a fork\)/,
    );
  });
});
