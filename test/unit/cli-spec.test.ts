import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { README_SECTIONS, updateReadme } from '../../src/action/readme-sections.js';
import { parseCommandArgs } from '../../src/cli/args.js';
import type { CliIo } from '../../src/cli/io.js';
import { CLI_README_SECTION } from '../../src/cli/readme-section.js';
import { COMMANDS, runCli, usage } from '../../src/cli/run-cli.js';

/** An in-memory CliIo: what a command printed. */
function memoryIo(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    cwd: process.cwd(),
    env: {},
    stdout: (text: string) => {
      io.out += text;
    },
    stderr: (text: string) => {
      io.err += text;
    },
  };
  return io;
}

describe('the CLI declaration', () => {
  for (const command of COMMANDS) {
    it(`vmplan ${command.name} --help and vmplan help ${command.name} explain every flag`, async () => {
      for (const argv of [
        [command.name, '--help'],
        [command.name, '-h'],
        ['help', command.name],
      ]) {
        const io = memoryIo();
        expect(await runCli(argv, io)).toBe(0);
        expect(io.out).toContain(`Usage: vmplan ${command.name}`);
        for (const [name, flag] of Object.entries(command.flags)) {
          expect(io.out).toContain(`--${name}`);
          expect(io.out).toContain(flag.description);
        }
      }
    });

    it(`vmplan ${command.name} parses exactly the flags it declares`, () => {
      for (const [name, flag] of Object.entries(command.flags)) {
        const args = flag.type === 'boolean' ? [`--${name}`] : [`--${name}`, 'x'];
        expect(() => parseCommandArgs(command.name, args, command.flags)).not.toThrow();
      }
      expect(() => parseCommandArgs(command.name, ['--not-a-flag'], command.flags)).toThrow(
        `unknown flag --not-a-flag for vmplan ${command.name}; see vmplan ${command.name} --help`,
      );
    });
  }

  it('lists every command in the usage text and says how to get help on one', () => {
    const text = usage();
    for (const command of COMMANDS) expect(text).toContain(`  vmplan ${command.name}`);
    expect(text).toContain('vmplan help COMMAND');
  });

  it('says so for help on a command that does not exist', async () => {
    const io = memoryIo();
    expect(await runCli(['help', 'deploy'], io)).toBe(2);
    expect(io.err).toContain('unknown command "deploy"');
  });

  it("keeps the README's CLI table generated from the declaration (npm run docs)", () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toBe(
      updateReadme(readme, readFileSync('action.yml', 'utf8'), [...README_SECTIONS, CLI_README_SECTION]),
    );
  });
});
