import { terminalText } from '../util/control-text.js';

/** What a CLI command may touch: its output streams, working folder and environment (injected for tests). */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The real stdout stream, when there is one (live job output honours its backpressure). */
  stdoutStream?: NodeJS.WritableStream;
  /** The real stderr stream, when there is one (where --json mode sends live job output). */
  stderrStream?: NodeJS.WritableStream;
  /** Whether stdin and stdout are a terminal someone types at (what `vmplan shell` needs). */
  interactive?: boolean;
}

/** Exit codes: 0 ok, 1 a run failed, 2 invalid input, 3 vmplan could not do its own work (e.g. disk full). */
export const EXIT = { ok: 0, failed: 1, invalidInput: 2, infrastructure: 3 } as const;

/**
 * The real process's streams and environment. Everything written through `stdout`/`stderr` has its control
 * characters made visible (SGR colours kept: `terminalText`), so job-derived text (`vmplan logs`, `status`, the
 * run's table and messages) cannot set a title, a hyperlink or the clipboard, or clear the screen. A reader that goes away (`vmplan logs … | head -1`) ends our output
 * quietly: EPIPE stops further writes to that stream instead of crashing, and whatever runs keeps going and
 * finishes its records.
 */
export function processIo(): CliIo {
  return {
    stdout: quietOnClose(process.stdout),
    stderr: quietOnClose(process.stderr),
    cwd: process.cwd(),
    env: process.env,
    stdoutStream: process.stdout,
    stderrStream: process.stderr,
    interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
  };
}

/** A writer for a stream that turns into a no-op once the other end is closed. */
function quietOnClose(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') closed = true;
    else throw error;
  });
  return (text) => {
    if (!closed && !stream.destroyed) stream.write(terminalText(text, { keepSgr: true }));
  };
}
