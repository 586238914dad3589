import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (where package.json is). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX_LOADER = `${REPO_ROOT}node_modules/tsx/dist/loader.mjs`;

/** The outcome of one CLI process. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the vmplan CLI from source (src/cli.ts) as a real child process. */
export function runVmplan(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; bundle?: boolean } = {},
): Promise<CliResult> {
  const entry =
    options.bundle === true
      ? [`${REPO_ROOT}bin/vmplan.js`]
      : ['--import', TSX_LOADER, `${REPO_ROOT}src/cli.ts`];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
