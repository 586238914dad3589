import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { REPO_ROOT, TSX_LOADER } from '../cli.js';
import {
  capturingStep,
  parseFileCommands,
  parseWorkflowCommands,
  type WorkflowCommand,
} from './workflow-commands.js';

/** What one step (main or post) did, as the runner would see it. */
export interface StepResult {
  code: number | null;
  stdout: string;
  stderr: string;
  commands: WorkflowCommand[];
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  /** Folders the step added to PATH for later steps (GITHUB_PATH). */
  paths: string[];
}

/** The servers and ids a simulated workflow run talks to. */
export interface RunnerServices {
  resultsUrl?: string;
  runtimeToken?: string;
  apiUrl?: string;
}

/** A workspace for a simulated job: a git repository with the given files, committed. */
export function makeWorkspace(files: Record<string, string>): { root: string; head: string } {
  const root = mkdtempSync(join(tmpdir(), 'vmplan-action-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'test');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  git('add', '.');
  // A unique message keeps commits of identical trees apart (check runs are found by head commit).
  git('commit', '-q', '-m', `initial ${randomBytes(4).toString('hex')}`);
  return { root, head: git('rev-parse', 'HEAD') };
}

/** How a step is started: from the current source (src/main.ts through tsx), or the committed bundle in dist/. */
export type ActionEntry = 'source' | 'bundle';

/** The command line that starts a step of the action. */
function stepCommand(step: 'main' | 'post', entry: ActionEntry): string[] {
  if (entry === 'bundle') return [join(REPO_ROOT, 'dist', step === 'main' ? 'index.js' : 'post.js')];
  return ['--import', TSX_LOADER, join(REPO_ROOT, 'src', step === 'main' ? 'main.ts' : 'post.ts')];
}

/**
 * Runs the action as the runner does — from the current source, so a change in src/ is tested before anyone
 * rebuilds dist/, or (`entry: 'bundle'`) the committed bundle `node dist/index.js` — with INPUT_* variables, fresh
 * GITHUB_OUTPUT/GITHUB_STATE/GITHUB_STEP_SUMMARY files, an event payload, and STATE_* for the post step.
 */
export class ActionHarness {
  readonly temp: string;
  /** What starts the steps: the source (default) or the committed bundle. */
  entry: ActionEntry = 'source';
  private readonly files: { output: string; state: string; summary: string; event: string; path: string };

  constructor(
    readonly workspace: string,
    private readonly inputs: Record<string, string>,
    private readonly env: Record<string, string> = {},
    event: { name: string; payload: unknown } = { name: 'push', payload: {} },
    private readonly services: RunnerServices = {},
  ) {
    this.temp = mkdtempSync(join(tmpdir(), 'vmplan-runner-'));
    this.files = {
      output: join(this.temp, 'output'),
      state: join(this.temp, 'state'),
      summary: join(this.temp, 'summary.md'),
      event: join(this.temp, 'event.json'),
      path: join(this.temp, 'path'),
    };
    for (const file of [this.files.output, this.files.state, this.files.summary, this.files.path])
      writeFileSync(file, '');
    writeFileSync(this.files.event, JSON.stringify(event.payload));
    this.eventName = event.name;
  }

  private readonly eventName: string;

  /** The environment the runner gives a step (with the post step's STATE_* from `state`). */
  environment(state: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: this.workspace,
      GITHUB_REPOSITORY: 'acme/widgets',
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_JOB: 'vm-tests',
      GITHUB_SHA: execFileSync('git', ['rev-parse', 'HEAD'], {
        cwd: this.workspace,
        encoding: 'utf8',
      }).trim(),
      GITHUB_REF: 'refs/heads/main',
      GITHUB_EVENT_NAME: this.eventName,
      GITHUB_EVENT_PATH: this.files.event,
      GITHUB_OUTPUT: this.files.output,
      GITHUB_STATE: this.files.state,
      GITHUB_STEP_SUMMARY: this.files.summary,
      GITHUB_PATH: this.files.path,
      RUNNER_TEMP: this.temp,
      // Tests keep their caches apart (a test of the real default sets VMPLAN_CACHE_DIR to '' and HOME), and
      // outside RUNNER_TEMP, where the doctor's preflight would warn that it does not last.
      VMPLAN_CACHE_DIR: `${this.temp}-cache`,
      NO_PROXY: '127.0.0.1,localhost',
      ...(this.services.resultsUrl === undefined ? {} : { ACTIONS_RESULTS_URL: this.services.resultsUrl }),
      ...(this.services.runtimeToken === undefined
        ? {}
        : { ACTIONS_RUNTIME_TOKEN: this.services.runtimeToken }),
      ...(this.services.apiUrl === undefined ? {} : { GITHUB_API_URL: this.services.apiUrl }),
      ...Object.fromEntries(
        Object.entries(this.inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]),
      ),
      ...Object.fromEntries(Object.entries(state).map(([name, value]) => [`STATE_${name}`, value])),
      ...this.env,
    };
  }

  /** Starts a step; `onStdout` sees output as it comes (to signal mid-run). */
  start(step: 'main' | 'post', state: Record<string, string> = {}, onStdout?: (text: string) => void) {
    const env = this.environment(state);
    const child = spawn(process.execPath, stepCommand(step, this.entry), {
      cwd: this.workspace,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      onStdout?.(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const done = new Promise<StepResult>((resolve) => {
      child.on('close', (code) => resolve(this.result(code, stdout, stderr)));
    });
    return { child, done };
  }

  /** What the runner reads back after a step that exited with `code` and printed `stdout`. */
  private result(code: number | null, stdout: string, stderr: string): StepResult {
    return {
      code,
      stdout,
      stderr,
      commands: parseWorkflowCommands(stdout),
      outputs: parseFileCommands(readFileSync(this.files.output, 'utf8')),
      state: parseFileCommands(readFileSync(this.files.state, 'utf8')),
      summary: readFileSync(this.files.summary, 'utf8'),
      paths: readFileSync(this.files.path, 'utf8').split('\n').filter(Boolean),
    };
  }

  /**
   * Runs the main step in this process (mainStep from the source, as src/main.ts calls it), with the runner's
   * environment in place of this process's and its stdout captured: mutation testing sees only code that runs
   * in the test's own process. Steps run one at a time (the environment and stdout are the process's).
   */
  async runMainInProcess(): Promise<StepResult> {
    return this.runInProcess('main');
  }

  /** Runs a step in this process as runMainInProcess does; the post step with the state the main step saved. */
  async runInProcess(step: 'main' | 'post', state: Record<string, string> = {}): Promise<StepResult> {
    const saved = { ...process.env };
    const runnerOwned = /^(GITHUB_|INPUT_|ACTIONS_|RUNNER_|STATE_)/;
    for (const name of Object.keys(process.env)) if (runnerOwned.test(name)) delete process.env[name];
    Object.assign(process.env, this.environment(state));
    // @actions/core keeps the summary file it first wrote to for the life of the process; a runner starts each
    // step in a process of its own.
    const core = await import('@actions/core');
    (core.summary as unknown as { _filePath?: string })._filePath = undefined;
    let captured: { stdout: string; exitCode: number };
    try {
      captured = await capturingStep(async () => {
        if (step === 'main') await (await import('../../../src/action/main-step.js')).mainStep();
        else await (await import('../../../src/action/post-step.js')).postStep();
      });
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
    return this.result(captured.exitCode, captured.stdout, '');
  }

  /** Runs the main step, then the post step with the state the main step saved. */
  async runBoth(): Promise<{ main: StepResult; post: StepResult }> {
    const main = await this.start('main').done;
    const post = await this.start('post', main.state).done;
    return { main, post };
  }
}
