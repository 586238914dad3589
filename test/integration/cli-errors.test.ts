import { describe, expect, it } from 'vitest';
import { spawnVmplan } from '../support/cli.js';

// What a new user sees for a mistyped flag or command: one line on stderr, the likely meaning, exit code 2.

/** Runs the CLI as a child process: exit code, stdout and stderr. */
async function vmplan(args: string[]) {
  const { code, stdout, stderr } = await spawnVmplan(args).done;
  return { code, stdout, stderr };
}

describe('mistyped flags and commands', () => {
  it.each([
    [['run', '--exector', 'host'], 'unknown flag --exector for vmplan run; did you mean --executor?\n'],
    [['gc', '--kep', '3'], 'unknown flag --kep for vmplan gc; did you mean --keep?\n'],
    [
      ['image', 'build', 'debian', '--arhc', 'arm64'],
      'unknown flag --arhc for vmplan image build; did you mean --arch?\n',
    ],
    [['list', '--frobnicate'], 'unknown flag --frobnicate for vmplan list; see vmplan list --help\n'],
    [
      ['run', '--executor'],
      'flag --executor for vmplan run needs a value: --executor VALUE (see vmplan run --help)\n',
    ],
    [['status', '--json=yes'], 'flag --json for vmplan status takes no value (see vmplan status --help)\n'],
    [['-v'], 'vmplan: unknown flag -v; did you mean --version?\n'],
    [['--verison'], 'vmplan: unknown flag --verison; did you mean --version?\n'],
    [['-x'], 'vmplan: unknown flag -x; a command comes first (vmplan help lists the commands)\n'],
    [
      ['statsu'],
      'vmplan: unknown command "statsu"; did you mean "status"? (vmplan help lists the commands)\n',
    ],
    [['frobnicate'], 'vmplan: unknown command "frobnicate"; vmplan help lists the commands\n'],
    [
      ['help', 'rnu'],
      'vmplan: unknown command "rnu"; did you mean "run"? (vmplan help lists the commands)\n',
    ],
  ])('vmplan %j says one line and exits 2', async (args, line) => {
    expect(await vmplan(args)).toEqual({ code: 2, stdout: '', stderr: line });
  });
});
