import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';
import type { NodeRecord } from '../../src/records/schema.js';

/** A throw-away project folder with a jobs file, removed after the test file. */
export interface TestProject {
  root: string;
  /** Writes a file in the project (folders created). */
  write(path: string, content: string): string;
  /** Reads a JSON file under the project's state folder. */
  state<T = Record<string, unknown>>(path: string): T;
  /** The one run id in the state folder after `count` runs (the newest). */
  latestRun(): string;
  /** A job's status.json in a run (default: the newest). */
  jobStatus(job: string, runId?: string): NodeRecord;
}

/** Creates a project with `.github/vmplan.yml` holding `jobs`. */
export function testProject(jobs: string, prefix = 'vmplan-project-'): TestProject {
  const root = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, content: string) => {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    return full;
  };
  // A git repository, like the projects vmplan runs in: the snapshot holds what git would commit.
  execFileSync('git', ['init', '-q', root]);
  write('.github/vmplan.yml', jobs);
  const latestRun = () => {
    const runs = readdirRuns(root);
    return runs[runs.length - 1]!;
  };
  return {
    root,
    write,
    state: (path) => JSON.parse(readFileSync(join(root, '.vmplan', path), 'utf8')),
    latestRun,
    jobStatus: (job, runId = latestRun()) =>
      JSON.parse(readFileSync(join(root, '.vmplan/runs', runId, 'jobs', job, 'status.json'), 'utf8')),
  };
}

function readdirRuns(root: string): string[] {
  try {
    return readdirSync(join(root, '.vmplan/runs'))
      .filter((name: string) => /^\d{8}T/.test(name))
      .sort();
  } catch {
    return [];
  }
}
