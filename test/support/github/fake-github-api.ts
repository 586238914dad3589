import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { REPO_ROOT } from '../cli.js';
import type { TwirpArtifacts } from './twirp-artifacts.js';

/** A workflow run as GitHub's API describes it (the fields vmplan reads). */
export interface FakeWorkflowRun {
  event: string;
  head_sha: string;
  /** null: the head repository was deleted. */
  head_repository: { full_name: string } | null;
}

/** One request the fake received. */
export interface ApiRequest {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

const schemas = JSON.parse(
  readFileSync(`${REPO_ROOT}test/fixtures/github-checks-schemas.json`, 'utf8'),
) as Record<string, object>;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
const validateCreate = ajv.compile(schemas['checks/create']!);
const validateUpdate = ajv.compile(schemas['checks/update']!);

/**
 * A fake of GitHub's Checks API on 127.0.0.1: every body is validated against GitHub's published request schemas
 * (rejected with 422 as GitHub would), and GitHub's own limits are enforced (50 annotations per request).
 * `forbid` makes it answer 403 like a fork's read-only token.
 */
export class FakeGitHubApi {
  readonly requests: ApiRequest[] = [];
  readonly checkRuns = new Map<number, Record<string, unknown> & { annotations: unknown[] }>();
  readonly rejected: { path: string; errors: unknown }[] = [];
  /** The workflow runs GET /repos/{owner}/{repo}/actions/runs/{run_id} knows, by id (others are 404). */
  readonly workflowRuns = new Map<number, FakeWorkflowRun>();
  forbid = false;
  /** Answers check-run creations this late, as a slow API does (a job may end before its run exists). */
  createDelayMs = 0;
  private server: Server | undefined;
  private nextId = 1;

  /** With the artifact fake, also serves GitHub's public artifact API (other runs' artifacts, by workflow run id). */
  constructor(private readonly artifacts?: TwirpArtifacts) {}

  async start(): Promise<string> {
    this.server = createServer(async (request, response) => {
      let text = '';
      for await (const chunk of request) text += chunk;
      const body = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
      const path = request.url ?? '';
      this.requests.push({ method: request.method ?? '', path, body });
      const reply = (status: number, value: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(value));
      };
      if (this.forbid) return reply(403, { message: 'Resource not accessible by integration' });
      const workflowRun = /^\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)$/.exec(path);
      if (workflowRun !== null && request.method === 'GET') {
        const run = this.workflowRuns.get(Number(workflowRun[2]));
        if (run === undefined) return reply(404, { message: 'Not Found' });
        return reply(200, {
          id: Number(workflowRun[2]),
          ...run,
          repository: { full_name: workflowRun[1] },
        });
      }
      const runArtifacts = /^\/repos\/[^/]+\/[^/]+\/actions\/runs\/(\d+)\/artifacts(\?.*)?$/.exec(path);
      if (runArtifacts !== null && this.artifacts !== undefined) {
        // Workflow run N's artifacts are the fake's artifacts of backend run "run-N".
        const found = this.artifacts.artifacts.filter(
          (a) => a.finalized && a.runBackendId === `run-${runArtifacts[1]}`,
        );
        return reply(200, {
          total_count: found.length,
          artifacts: found.map((a) => ({
            id: Number(a.id),
            name: a.name,
            size_in_bytes: Number(a.size),
            created_at: new Date().toISOString(),
            digest: a.hash,
          })),
        });
      }
      const zip = /^\/repos\/[^/]+\/[^/]+\/actions\/artifacts\/(\d+)\/zip$/.exec(path);
      if (zip !== null && this.artifacts !== undefined) {
        const artifact = this.artifacts.artifacts.find((a) => a.id === zip[1]);
        if (artifact === undefined) return reply(404, { message: 'Not Found' });
        response.writeHead(302, { location: this.artifacts.downloadUrl(artifact) });
        return response.end();
      }
      const create = /^\/repos\/[^/]+\/[^/]+\/check-runs$/.test(path) && request.method === 'POST';
      const update = /^\/repos\/[^/]+\/[^/]+\/check-runs\/(\d+)$/.exec(path);
      if (!create && !(update !== null && request.method === 'PATCH'))
        return reply(404, { message: 'Not Found' });
      const validate = create ? validateCreate : validateUpdate;
      const annotations = ((body.output as { annotations?: unknown[] } | undefined)?.annotations ??
        []) as unknown[];
      if (!validate(body) || annotations.length > 50) {
        const errors = validate.errors ?? [{ message: 'more than 50 annotations' }];
        this.rejected.push({ path, errors });
        return reply(422, { message: 'Validation Failed', errors });
      }
      if (create) {
        if (this.createDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.createDelayMs));
        const id = this.nextId++;
        this.checkRuns.set(id, { ...body, id, annotations: [...annotations] });
        return reply(201, { id, ...body });
      }
      const id = Number(update![1]);
      const run = this.checkRuns.get(id);
      if (run === undefined) return reply(404, { message: 'Not Found' });
      const { output, ...rest } = body;
      Object.assign(run, rest, output === undefined ? {} : { output });
      run.annotations.push(...annotations);
      return reply(200, run);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** The check run named `name` on a commit, as it stands. */
  checkRun(
    name: string,
    headSha: string,
  ): (Record<string, unknown> & { annotations: unknown[] }) | undefined {
    return [...this.checkRuns.values()].find((run) => run.name === name && run.head_sha === headSha);
  }
}
