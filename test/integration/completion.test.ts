import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/run-cli.js';
import { REPO_ROOT, TSX_LOADER } from '../support/cli.js';
import { commandWorks, prerequisite } from '../support/prerequisites.js';
import { typeInShell } from '../support/pty.js';

// The completion scripts, made from the command declarations, run in the real shells.

/** The completion script for a shell, as the CLI (a child process) prints it, in a file. */
async function script(shell: string): Promise<string> {
  const out = execFileSync(
    process.execPath,
    ['--import', TSX_LOADER, `${REPO_ROOT}src/cli.ts`, 'completion', shell],
    {
      encoding: 'utf8',
    },
  );
  const file = join(mkdtempSync(join(tmpdir(), 'vmplan-completion-')), `vmplan.${shell}`);
  writeFileSync(file, out);
  return file;
}

/** A repository with a folder, a file starting the same way, and one run in its state folder. */
function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'vmplan-completion-project-'));
  mkdirSync(join(root, 'examples'));
  writeFileSync(join(root, 'examples', 'jobs.yml'), 'version: 1\n');
  writeFileSync(join(root, 'exfile'), '');
  for (const job of ['lint', 'unit'])
    mkdirSync(join(root, '.vmplan', 'runs', '20261201T000000Z-aaaaaaaa', 'jobs', job), { recursive: true });
  execFileSync('git', ['init', '-q', root]);
  return root;
}

/** An rc file: the completion script, a `vmplan` that prints its arguments as `<a><b>`, the test's prompt. */
function rcFile(scriptFile: string, root: string, before = ''): string {
  const rc = join(mkdtempSync(join(tmpdir(), 'vmplan-completion-rc-')), 'rc');
  writeFileSync(
    rc,
    `${before}source ${scriptFile}\nvmplan() { printf '<%s>' "$@"; echo; }\ncd ${root}\nPS1='READY> '\n`,
  );
  return rc;
}

/** What Tab does in a real terminal: each line typed (tabs are Tab presses) and what it ran. */
const TYPED: [string, string][] = [
  // A folder gets no space: completion goes on into it.
  ['vmplan run exa\tX', '<run><examples/X>'],
  ['vmplan image bu\t', '<image><build>'],
  ['vmplan image build deb\t', '<image><build><debian>'],
  ['vmplan schema p\t', '<schema><plan>'],
  ['vmplan logs 2026\t', '<logs><20261201T000000Z-aaaaaaaa>'],
  ['vmplan status la\t', '<status><latest>'],
  // A run's jobs, after the run.
  ['vmplan shell latest u\t', '<shell><latest><unit>'],
  // Numbers are not file names: Tab offers nothing.
  ['vmplan gc --keep ex\t\t', '<gc><--keep><ex>'],
  ['vmplan run --shard ex\t\t', '<run><--shard><ex>'],
];

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

  it('offers subcommands, run ids and nothing for numbers where it used to offer files', async () => {
    const file = await script('bash');
    const root = project();
    const inProject = (words: string[]) => {
      const cwd = process.cwd();
      process.chdir(root);
      try {
        return complete(file, words);
      } finally {
        process.chdir(cwd);
      }
    };
    expect(inProject(['vmplan', 'image', ''])).toEqual(['build', 'push', 'pull']);
    expect(inProject(['vmplan', 'image', '--arch', 'arm64', 'build', ''])).toEqual(['debian', 'test-guest']);
    expect(inProject(['vmplan', 'image', 'pull', ''])).toEqual([]);
    expect(inProject(['vmplan', 'schema', ''])).toEqual(['jobs', 'plan', 'results']);
    expect(inProject(['vmplan', 'logs', ''])).toEqual(['latest', '20261201T000000Z-aaaaaaaa']);
    // The jobs of the run named before them: its job folders (latest, an id, or the start of one).
    expect(inProject(['vmplan', 'logs', 'latest', ''])).toEqual(['lint', 'unit']);
    expect(inProject(['vmplan', 'shell', '20261201T000000Z-aaaaaaaa', 'u'])).toEqual(['unit']);
    expect(inProject(['vmplan', 'shell', '2026', ''])).toEqual(['lint', 'unit']);
    expect(inProject(['vmplan', 'shell', 'nosuchrun', ''])).toEqual([]);
    expect(inProject(['vmplan', 'shell', '--state-dir', 'elsewhere', 'latest', ''])).toEqual([]);
    expect(inProject(['vmplan', 'list', ''])).toEqual([]);
    expect(inProject(['vmplan', 'gc', '--keep', ''])).toEqual([]);
    expect(inProject(['vmplan', 'gc', '--max-size', ''])).toEqual([]);
    expect(inProject(['vmplan', 'run', '--shard', ''])).toEqual([]);
    expect(inProject(['vmplan', 'run', '--plan', 'ex'])).toEqual(['examples', 'exfile']);
    expect(inProject(['vmplan', 'gc', '--state-dir', 'ex'])).toEqual(['examples']);
    expect(inProject(['vmplan', 'run', 'ex'])).toEqual(['examples', 'exfile']);
  });

  it('in a terminal, completes into folders and offers nothing for numbers', async () => {
    const rc = rcFile(await script('bash'), project());
    const ran = await typeInShell(
      `bash --noprofile --rcfile ${rc} -i`,
      {},
      TYPED.map(([line]) => line),
    );
    expect(ran).toEqual(TYPED.map(([, result]) => result));
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

    it('offers subcommands, run ids, folders, and nothing for numbers', async () => {
      const file = await script('fish');
      const root = project();
      const complete = (line: string) =>
        execFileSync('fish', ['-c', `source ${file}; complete -C '${line}'`], { encoding: 'utf8', cwd: root })
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t')[0]);
      expect(complete('vmplan image ')).toEqual(['build', 'pull', 'push']);
      expect(complete('vmplan image build ')).toEqual(['debian', 'test-guest']);
      expect(complete('vmplan image push ex')).toEqual(['examples/']);
      expect(complete('vmplan schema ')).toEqual(['jobs', 'plan', 'results']);
      expect(complete('vmplan logs ')).toEqual(['20261201T000000Z-aaaaaaaa', 'latest']);
      expect(complete('vmplan logs latest ')).toEqual(['lint', 'unit']);
      expect(complete('vmplan shell 2026 ')).toEqual(['lint', 'unit']);
      expect(complete('vmplan gc --keep ')).toEqual([]);
      expect(complete('vmplan run --shard ')).toEqual([]);
      expect(complete('vmplan list ')).toEqual([]);
      expect(complete('vmplan run ex')).toEqual(['examples/', 'exfile']);
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

    it('in a terminal, completes into folders, subcommands and run ids, and offers nothing for numbers', async () => {
      const home = mkdtempSync(join(tmpdir(), 'vmplan-completion-zdot-'));
      const rc = rcFile(await script('zsh'), project(), 'autoload -Uz compinit && compinit -u -D\n');
      writeFileSync(join(home, '.zshrc'), `source ${rc}\n`);
      const ran = await typeInShell(
        'zsh -i',
        { ZDOTDIR: home },
        TYPED.map(([line]) => line),
      );
      expect(ran).toEqual(TYPED.map(([, result]) => result));
    });
  },
);
