/** What a CLI command may touch: its output streams, working folder and environment (injected for tests). */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The real stdout stream, when there is one (live job output honours its backpressure). */
  stdoutStream?: NodeJS.WritableStream;
}

/** Exit codes: 0 ok, 1 a run failed, 2 invalid input. */
export const EXIT = { ok: 0, failed: 1, invalidInput: 2 } as const;

/** The real process's streams and environment. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    env: process.env,
    stdoutStream: process.stdout,
  };
}
