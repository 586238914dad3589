import { COMMANDS } from './run-cli.js';

const cell = (text: string) => text.replace(/\|/g, '\\|').trim();

/** The README's CLI table: one row per declared command, with its flags. */
export function cliTable(): string {
  return [
    '| command | what it does | flags |',
    '| --- | --- | --- |',
    ...COMMANDS.map((command) => {
      const name = cell(`vmplan ${[command.name, command.operands].filter(Boolean).join(' ')}`);
      const flags = Object.keys(command.flags).map((flag) => `\`--${flag}\``);
      return `| \`${name}\` | ${cell(command.summary)} | ${flags.join(' ')} |`;
    }),
  ].join('\n');
}

/** The generated CLI section of the README (see src/action/readme-sections.ts for the format). */
export const CLI_README_SECTION = {
  name: 'cli-commands',
  source: 'src/cli/run-cli.ts',
  render: () => cliTable(),
};
