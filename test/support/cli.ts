import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** The repository root (where package.json is). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** tsx's loader, to run TypeScript sources as they are. */
export const TSX_LOADER = `${REPO_ROOT}node_modules/tsx/dist/loader.mjs`;

/** The outcome of one CLI process. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options for a CLI process. */
export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run the committed bundle (bin/vmplan.js) instead of the source. */
  bundle?: boolean;
  /** Keep only about this many characters of the end of stdout (for processes printing a lot). */
  keepStdoutChars?: number;
}

/** A running CLI process with its output so far and a promise of its end. */
export interface CliProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  output(): { stdout: string; stderr: string };
  /** Resolves once stdout contains the text. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<CliResult>;
}

/**
 * Where a test's CLI keeps its cache unless the test says otherwise: inside its state folder, as before the
 * per-user cache folder existed, so tests never share (or leave behind) images and caches in the real one.
 */
export function testCacheDir(args: readonly string[], cwd: string): string {
  const given = args.indexOf('--state-dir');
  const state = given === -1 ? join(cwd, '.vmplan') : resolve(cwd, args[given + 1] ?? '.vmplan');
  return join(state, 'cache');
}

/** Starts the vmplan CLI (from source, or the committed bundle) as a real child process. */
export function spawnVmplan(args: string[], options: CliOptions = {}): CliProcess {
  const entry =
    options.bundle === true
      ? [`${REPO_ROOT}bin/vmplan.js`]
      : ['--import', TSX_LOADER, `${REPO_ROOT}src/cli.ts`];
  const cwd = options.cwd ?? REPO_ROOT;
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd,
    env: { ...process.env, VMPLAN_CACHE_DIR: testCacheDir(args, cwd), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (options.keepStdoutChars !== undefined && stdout.length > options.keepStdoutChars * 2) {
      stdout = stdout.slice(-options.keepStdoutChars);
    }
    for (const listener of [...listeners]) listener();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    output: () => ({ stdout, stderr }),
    waitFor(text, timeoutMs = 60_000) {
      const matches = () => (typeof text === 'string' ? stdout.includes(text) : text.test(stdout));
      return new Promise<void>((resolve, reject) => {
        if (matches()) return resolve();
        const timer = setTimeout(() => {
          reject(new Error(`timed out waiting for ${text}; stdout so far:\n${stdout}\nstderr:\n${stderr}`));
        }, timeoutMs);
        const listener = () => {
          if (!matches()) return;
          clearTimeout(timer);
          listeners.splice(listeners.indexOf(listener), 1);
          resolve();
        };
        listeners.push(listener);
        void done.then(() => {
          clearTimeout(timer);
          if (!matches())
            reject(
              new Error(`vmplan exited before printing ${text}; stdout:\n${stdout}\nstderr:\n${stderr}`),
            );
        });
      });
    },
    done,
  };
}

/** Runs the vmplan CLI to its end and returns its exit code and output. */
export function runVmplan(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return spawnVmplan(args, options).done;
}
