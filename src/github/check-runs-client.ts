import { existsSync, readFileSync } from 'node:fs';
import { writeJsonAtomic } from '../util/atomic-write.js';

/** The slice of Octokit this client uses. */
export interface ChecksApi {
  request(route: string, parameters: Record<string, unknown>): Promise<{ data: unknown }>;
}

/** What a check run shows: title, summary (Markdown) and optional text. */
export interface CheckRunOutput {
  title: string;
  summary: string;
  text?: string;
}

/** A finished job's check run, ready to send: the caller (src/report/check-runs.ts) composed every part. */
export interface CheckRunCompletion {
  name: string;
  conclusion: string;
  output: CheckRunOutput;
  /** Annotations in requests of at most 50 (the Checks API's limit), already in the API's shape. */
  annotationBatches: unknown[][];
}

/** Where check runs were created, so the post step can finish any left in progress. */
export interface CheckRunIndex {
  [job: string]: { id: number; completed: boolean };
}

/**
 * One check run per job (`vmplan / <job>`) on the head commit: created in progress when the job starts,
 * completed with its conclusion, summary and every annotation (50 per request). A 403 (a fork's read-only
 * token) turns check runs off with one warning; check-run trouble never fails the job.
 */
export class CheckRunsClient {
  private enabled = true;
  private warned = false;
  private readonly index: CheckRunIndex;
  /** Each job's requests, in order: a job may end before the request creating its check run has returned. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly api: ChecksApi,
    private readonly repository: { owner: string; repo: string },
    private readonly headSha: string,
    private readonly indexFile: string,
    private readonly warn: (message: string) => void,
  ) {
    this.index = readIndex(indexFile);
  }

  /** A job started: its check run, in progress. */
  started(job: string, start: { name: string; output: CheckRunOutput }, startedAt: string): Promise<void> {
    return this.inOrder(job, async () => {
      const { data } = await this.api.request('POST /repos/{owner}/{repo}/check-runs', {
        ...this.repository,
        name: start.name,
        head_sha: this.headSha,
        status: 'in_progress',
        started_at: startedAt,
        output: start.output,
      });
      this.remember(job, (data as { id: number }).id, false);
    });
  }

  /** A job ended (or never started): complete its check run with everything the reports know. */
  finished(job: string, completion: CheckRunCompletion, completedAt: string): Promise<void> {
    return this.inOrder(job, async () => {
      const batches = completion.annotationBatches;
      const output = completion.output;
      const existing = this.index[job];
      const body = {
        ...this.repository,
        name: completion.name,
        status: 'completed',
        conclusion: completion.conclusion,
        completed_at: completedAt,
        output: { ...output, ...(batches[0] === undefined ? {} : { annotations: batches[0] }) },
      };
      let id: number;
      if (existing === undefined) {
        const { data } = await this.api.request('POST /repos/{owner}/{repo}/check-runs', {
          ...body,
          head_sha: this.headSha,
        });
        id = (data as { id: number }).id;
      } else {
        id = existing.id;
        await this.api.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
          ...body,
          check_run_id: id,
        });
      }
      // The Checks API appends the annotations of each further update.
      for (const batch of batches.slice(1)) {
        await this.api.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
          ...this.repository,
          check_run_id: id,
          output: { title: output.title, summary: output.summary, annotations: batch },
        });
      }
      this.remember(job, id, true);
    });
  }

  /** Completes every check run still in progress as cancelled (the post step, after a cancelled workflow). */
  async cancelUnfinished(completedAt: string): Promise<number> {
    let cancelled = 0;
    for (const [job, entry] of Object.entries(this.index)) {
      if (entry.completed) continue;
      await this.inOrder(job, async () => {
        await this.api.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
          ...this.repository,
          check_run_id: entry.id,
          status: 'completed',
          conclusion: 'cancelled',
          completed_at: completedAt,
          output: {
            title: `${job}: cancelled`,
            summary: 'The workflow was cancelled before this job finished.',
          },
        });
        this.remember(job, entry.id, true);
        cancelled++;
      });
    }
    return cancelled;
  }

  /** Runs a job's request after that job's earlier ones (never in parallel with them). */
  private inOrder(job: string, work: () => Promise<void>): Promise<void> {
    const next = (this.queues.get(job) ?? Promise.resolve()).then(() => this.call(work));
    this.queues.set(job, next);
    return next;
  }

  private async call(work: () => Promise<void>): Promise<void> {
    if (!this.enabled) return;
    try {
      await work();
    } catch (error) {
      // Requests of parallel jobs may all fail the same way; the first failure speaks for them.
      if (!this.enabled) return;
      const status = (error as { status?: number }).status;
      if (status === 403 || status === 404) {
        this.enabled = false;
        this.warn(
          `check runs are off: the token cannot write checks (${status}${status === 403 ? ', e.g. a pull request from a fork' : ''}); results are in the job summary and annotations. Grant "checks: write" to get one check run per job.`,
        );
        return;
      }
      if (!this.warned) {
        this.warned = true;
        this.warn(
          `a check-run request failed (${status ?? (error as Error).message}); results are in the job summary and annotations`,
        );
      }
    }
  }

  private remember(job: string, id: number, completed: boolean): void {
    this.index[job] = { id, completed };
    writeJsonAtomic(this.indexFile, this.index);
  }
}

function readIndex(path: string): CheckRunIndex {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as CheckRunIndex;
  } catch {
    return {};
  }
}
