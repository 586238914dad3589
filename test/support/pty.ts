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
