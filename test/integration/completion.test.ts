import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { COMMANDS, runCli } from '../../src/cli/run-cli.js';
import { commandWorks, prerequisite } from '../support/prerequisites.js';

// The completion scripts, made from the command declarations, run in the real shells.

async function script(shell: string): Promise<string> {
  let out = '';
  const io: CliIo = {
    stdout: (text) => {
      out += text;
    },
    stderr: () => undefined,
    cwd: process.cwd(),
    env: {},
  };
  expect(await runCli(['completion', shell], io)).toBe(0);
  const file = join(mkdtempSync(join(tmpdir(), 'vmplan-completion-')), `vmplan.${shell}`);
  writeFileSync(file, out);
  return file;
}

describe('vmplan completion bash', () => {
  /** What bash offers for the words typed so far (the last one being completed). */
  const complete = (file: string, words: string[]) =>
    execFileSync(
      'bash',
      [
        '-c',
        `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _vmplan; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);

  it('offers commands, each command’s declared flags, and the choices of a flag', async () => {
    const file = await script('bash');
    expect(complete(file, ['vmplan', ''])).toEqual([...COMMANDS.map((c) => c.name), 'help']);
    for (const command of COMMANDS) {
      const offered = complete(file, ['vmplan', command.name, '--']);
      for (const flag of Object.keys(command.flags)) expect(offered).toContain(`--${flag}`);
    }
    expect(complete(file, ['vmplan', 'run', '--executor', ''])).toEqual(['host', 'vfkit', 'qemu']);
    // Values are the command's own: doctor checks VM executors only.
    expect(complete(file, ['vmplan', 'doctor', '--executor', ''])).toEqual(['vfkit', 'qemu']);
    expect(complete(file, ['vmplan', 'run', '--trust', 'un'])).toEqual(['untrusted']);
    expect(complete(file, ['vmplan', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
  });
});

describe.skipIf(!prerequisite('fish (shell completion tests)', commandWorks('fish')))(
  'vmplan completion fish',
  () => {
    it('offers commands with their summaries, and flag choices', async () => {
      const file = await script('fish');
      const complete = (line: string) =>
        execFileSync('fish', ['-c', `source ${file}; complete -C '${line}'`], { encoding: 'utf8' });
      expect(complete('vmplan lo')).toBe("logs\tPrint a job's logs (every job's, without JOB).\n");
      expect(
        complete('vmplan run --executor ')
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t')[0]),
      ).toEqual(['host', 'qemu', 'vfkit']);
      expect(complete('vmplan plan --ou')).toContain('--out');
    });
  },
);

describe.skipIf(!prerequisite('zsh (shell completion tests)', commandWorks('zsh', ['--version'])))(
  'vmplan completion zsh',
  () => {
    it('is a valid zsh completion function naming every command and flag', async () => {
      const file = await script('zsh');
      execFileSync('zsh', ['-n', file]);
      const text = execFileSync('cat', [file], { encoding: 'utf8' });
      expect(text.startsWith('#compdef vmplan\n')).toBe(true);
      for (const command of COMMANDS) {
        expect(text).toContain(`'${command.name}:`);
        for (const flag of Object.keys(command.flags)) expect(text).toMatch(new RegExp(`'\\*?--${flag}\\[`));
      }
    });
  },
);
