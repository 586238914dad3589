import { InputError } from '../errors.js';
import { VMPLAN_VERSION } from '../version.js';
import { imageCommand } from './commands/image.js';
import { schemaCommand, showCommand, validateCommand } from './commands/inspect.js';
import { planCommand } from './commands/plan.js';
import { runCommand } from './commands/run.js';
import { gcCommand, listCommand, logsCommand, rerunCommand, statusCommand } from './commands/runs.js';
import { type CliIo, EXIT } from './io.js';

type Command = (args: string[], io: CliIo) => number | Promise<number>;

const COMMANDS: Record<string, { run: Command; usage: string }> = {
  plan: {
    run: planCommand,
    usage:
      'plan [FILE] [--only A,B] [--changed-files FILE | --base REF] [--executor host|vfkit|qemu] [--durations F] [--out PATH|-]',
  },
  run: {
    run: runCommand,
    usage:
      'run [FILE [--durations F] | --plan plan.json] [--only A,B] [--shard i/n] [--executor X] [--max-parallel N] [--[no-]fail-fast] [--state-dir DIR] [--trust trusted|untrusted] [--trusted-image-path DIR] [--vfkit-path P] [--keep-failed-disks] [--quiet]',
  },
  status: { run: statusCommand, usage: 'status [RUN]           (default: the latest run)' },
  list: { run: listCommand, usage: 'list                   (runs, newest first)' },
  logs: { run: logsCommand, usage: 'logs RUN [JOB] [--host|--guest]' },
  rerun: {
    run: rerunCommand,
    usage: 'rerun RUN [--failed]   (on the same snapshot; --failed: jobs that did not pass)',
  },
  gc: { run: gcCommand, usage: 'gc --keep N            (delete old runs, never running ones)' },
  image: {
    run: imageCommand,
    usage:
      'image build debian --arch arm64|amd64 --out DIR [--suite S] [--packages "..."] [--setup FILE] [--size 8G]\n  vmplan image build test-guest --arch arm64|amd64 [--out DIR]',
  },
  show: { run: showCommand, usage: 'show PLAN.json [--json]' },
  validate: { run: validateCommand, usage: 'validate FILE          (a jobs file or a plan.json)' },
  schema: { run: schemaCommand, usage: 'schema jobs|plan       (print a JSON Schema)' },
};

/** The help text. */
export function usage(): string {
  const lines = Object.values(COMMANDS).map((command) => `  vmplan ${command.usage}`);
  return [
    `vmplan ${VMPLAN_VERSION}: plan CI jobs and run each in a throw-away Linux VM`,
    '',
    'Usage:',
    ...lines,
    '',
    `FILE defaults to .github/vmplan.yml. Exit codes: 0 ok, 1 a job failed, 2 invalid input.`,
    '',
  ].join('\n');
}

/** Runs one CLI invocation and returns its exit code; InputErrors print their problems and give 2. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout(usage());
    return name === undefined ? EXIT.invalidInput : EXIT.ok;
  }
  if (name === '--version' || name === 'version') {
    io.stdout(`${VMPLAN_VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr(`vmplan: unknown command "${name}"\n\n${usage()}`);
    return EXIT.invalidInput;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof InputError) {
      const count = error.problems.length;
      io.stderr(`${error.message}\n${count > 1 ? `${count} problems found; nothing was run.\n` : ''}`);
      return EXIT.invalidInput;
    }
    throw error;
  }
}
