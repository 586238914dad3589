import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';

/** Runs the CLI in this process (mutation testing sees it) in `cwd` with `env`: its exit code and what it printed. */
export async function runCliInProcess(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    cwd,
    env,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}
