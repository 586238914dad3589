import { spawn } from 'node:child_process';

/**
 * Types lines into an interactive shell on a pseudo-terminal (util-linux `script`) and returns what each line ran,
 * as a shell function `vmplan` defined by the rc file prints it: `<arg1><arg2>`. The rc file must set the prompt
 * to `READY> ` and define that function; tabs in a line are completion requests, as a user's Tab key.
 */
export async function typeInShell(
  command: string,
  env: NodeJS.ProcessEnv,
  lines: readonly string[],
  timeoutMs = 60_000,
): Promise<string[]> {
  const child = spawn('script', ['-q', '-c', command, '/dev/null'], {
    env: { ...process.env, TERM: 'xterm', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  // The lines the function printed, whatever terminal sequences (bracketed paste off, a carriage return) the shell
  // wrote before them on the same line.
  const ran = () =>
    output
      // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are what is removed
      .replace(/\x1b\[[?0-9;]*[A-Za-z]/g, '')
      .split(/\r\n|\r|\n/)
      // Whole lines only: a line seen before its line break could be followed by the echo of the next one typed.
      .slice(0, -1)
      .filter((line) => /^<.*>$/.test(line));
  const until = async (ready: () => boolean, what: string) => {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`the shell did not ${what}; it printed:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  try {
    await until(() => output.includes('READY> '), 'start');
    for (const [i, line] of lines.entries()) {
      child.stdin.write(`${line}\n`);
      await until(() => ran().length > i, `run ${JSON.stringify(line)}`);
    }
    child.stdin.write('exit\n');
    return ran();
  } finally {
    child.kill();
  }
}

/** A command running on a pseudo-terminal (util-linux `script`), typed into as a person would. */
export interface TerminalSession {
  /** Everything the terminal showed so far, terminal escape sequences removed. */
  screen(): string;
  /** Everything written to the terminal so far, as written (escape sequences and carriage returns kept). */
  raw(): string;
  /** Types text (end a line with "\n"). */
  type(text: string): void;
  /** Resolves once the screen shows `text` (after `from` characters of it); fails if the command ends first. */
  waitFor(text: string | RegExp, from?: number, timeoutMs?: number): Promise<void>;
  /** The command's exit code (script passes it on). */
  exited: Promise<number | null>;
  /** The pid of `script` (the command's session leader is its child). */
  pid: number;
}

/** Starts `argv` on a pseudo-terminal, its environment `env` on top of this process's. */
export function onTerminal(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): TerminalSession {
  const quoted = argv.map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`).join(' ');
  // -e: script exits with the command's code.
  const child = spawn('script', ['-q', '-e', '-c', quoted, '/dev/null'], {
    env: { ...process.env, TERM: 'xterm', ...env },
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are what is removed
  const screen = () => output.replace(/\x1b\[[?0-9;]*[A-Za-z]/g, '').replaceAll('\r', '');
  return {
    screen,
    raw: () => output,
    pid: child.pid!,
    exited,
    type: (text) => child.stdin.write(text),
    async waitFor(text, from = 0, timeoutMs = 180_000) {
      const deadline = Date.now() + timeoutMs;
      const seen = () => {
        const shown = screen().slice(from);
        return typeof text === 'string' ? shown.includes(text) : text.test(shown);
      };
      while (!seen()) {
        if (ended || Date.now() > deadline)
          throw new Error(`the terminal did not show ${String(text)}; it showed:\n${screen()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}
