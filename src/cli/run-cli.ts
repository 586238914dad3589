import { InfrastructureError, InputError } from '../errors.js';
import { PUBLISHED_SCHEMAS } from '../schema-export.js';
import { closestMatch } from '../util/suggest.js';
import { VMPLAN_VERSION } from '../version.js';
import { DOCTOR_FLAGS, doctorCommand } from './commands/doctor.js';
import { IMAGE_FLAGS, imageCommand } from './commands/image.js';
import {
  SHOW_FLAGS,
  schemaCommand,
  showCommand,
  VALIDATE_FLAGS,
  validateCommand,
} from './commands/inspect.js';
import { PLAN_FLAGS, planCommand } from './commands/plan.js';
import { REPORT_FLAGS, reportCommand } from './commands/report.js';
import { RUN_FLAGS, runCommand } from './commands/run.js';
import {
  FLAKY_FLAGS,
  flakyCommand,
  GC_FLAGS,
  gcCommand,
  LIST_FLAGS,
  LOGS_FLAGS,
  listCommand,
  logsCommand,
  RERUN_FLAGS,
  rerunCommand,
  STATUS_FLAGS,
  statusCommand,
} from './commands/runs.js';
import { SHELL_FLAGS, shellCommand } from './commands/shell.js';
import { COMPLETION_SHELLS, completionScript } from './completion.js';
import { type CliIo, EXIT } from './io.js';
import { printJson, problemsDocument, wantsJson } from './json.js';
import { type CommandSpec, commandHelp, synopsis } from './spec.js';

/** Every command, in the order help lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'plan',
    operands: '[FILE]',
    summary: 'Plan a jobs file, write plan.json atomically and print the stages.',
    flags: PLAN_FLAGS,
    examples: ['vmplan plan', 'vmplan plan --base origin/main --out -'],
    completes: { operands: ['files'] },
    run: planCommand,
  },
  {
    name: 'run',
    operands: '[FILE]',
    summary: 'Plan (or load a plan) and run it, each VM job in a throw-away VM.',
    flags: RUN_FLAGS,
    examples: [
      'vmplan run',
      'vmplan run --executor host --only unit',
      'vmplan run --plan plan.json --shard 1/2',
    ],
    completes: { operands: ['files'] },
    run: runCommand,
  },
  {
    name: 'status',
    operands: '[RUN]',
    summary: "Show a run (default: the latest) as a table, or where its jobs' time went (--timings).",
    flags: STATUS_FLAGS,
    examples: ['vmplan status', 'vmplan status latest --timings'],
    completes: { operands: ['runs'] },
    run: statusCommand,
  },
  { name: 'list', operands: '', summary: 'List runs, newest first.', flags: LIST_FLAGS, run: listCommand },
  {
    name: 'flaky',
    operands: '',
    summary: 'List the jobs and tests that flipped (failed, then passed) in recent runs.',
    flags: FLAKY_FLAGS,
    examples: ['vmplan flaky --runs 50'],
    run: flakyCommand,
  },
  {
    name: 'report',
    operands: '[RUN]',
    summary: "Write a run's job summary (Markdown), or its timeline as an HTML page (--html).",
    flags: REPORT_FLAGS,
    examples: ['vmplan report latest --out summary.md', 'vmplan report latest --html'],
    completes: { operands: ['runs'] },
    run: reportCommand,
  },
  {
    name: 'logs',
    operands: 'RUN [JOB]',
    summary: "Print a job's logs (every job's, without JOB).",
    flags: LOGS_FLAGS,
    examples: ['vmplan logs latest unit --guest'],
    completes: { operands: ['runs', 'jobs'] },
    run: logsCommand,
  },
  {
    name: 'rerun',
    operands: 'RUN',
    summary: 'Run a run again on the same snapshot.',
    flags: RERUN_FLAGS,
    examples: ['vmplan rerun latest --failed'],
    completes: { operands: ['runs'] },
    run: rerunCommand,
  },
  {
    name: 'shell',
    operands: 'RUN JOB',
    summary:
      "Open a shell in a fresh VM of a run's job: its image, workspace, user and env (no secrets); exit stops the VM.",
    flags: SHELL_FLAGS,
    examples: ['vmplan shell latest unit'],
    completes: { operands: ['runs', 'jobs'] },
    run: shellCommand,
  },
  {
    name: 'doctor',
    operands: '',
    summary:
      'Check this host for what vmplan needs (vfkit, macOS, QEMU, KVM, the runner, image build tools, disk) and say how to fix it.',
    flags: DOCTOR_FLAGS,
    examples: ['vmplan doctor', 'vmplan doctor --json --runner-dir ~/actions-runner'],
    run: doctorCommand,
  },
  {
    name: 'gc',
    operands: '',
    summary: 'Delete old runs and prune the image and named caches (never what a run is using).',
    flags: GC_FLAGS,
    examples: [
      'vmplan gc --keep 20',
      'vmplan gc --max-size 20GB --max-age 30',
      'vmplan gc --max-size 0 --dry-run',
    ],
    run: gcCommand,
  },
  {
    name: 'image',
    operands: 'build debian|test-guest | push DIR REF | pull REF',
    summary:
      "Build a guest image with the scripts in vmplan's guest/ folder; push it to or pull it from an OCI registry.",
    flags: IMAGE_FLAGS,
    examples: [
      'vmplan image build debian --arch arm64 --out guest-image --packages "nodejs npm"',
      'vmplan image push guest-image ghcr.io/acme/guest:1.2',
      'vmplan image pull ghcr.io/acme/guest:1.2',
      'vmplan image pull ghcr.io/acme/guest@sha256:… --out guest-image',
    ],
    completes: {
      operands: [['build', 'push', 'pull']],
      after: { build: [['debian', 'test-guest']], push: ['dirs', 'none'], pull: ['none'] },
    },
    run: imageCommand,
  },
  {
    name: 'show',
    operands: '[FILE]',
    summary: 'Show a plan.json (e.g. downloaded from a workflow run), or the plan a jobs file makes.',
    flags: SHOW_FLAGS,
    completes: { operands: ['files'] },
    run: showCommand,
  },
  {
    name: 'validate',
    operands: '[FILE]',
    summary: 'Check a jobs file (everything plan checks) or a plan.json, running nothing.',
    flags: VALIDATE_FLAGS,
    completes: { operands: ['files'] },
    run: validateCommand,
  },
  {
    name: 'completion',
    operands: 'bash|zsh|fish',
    summary: 'Print a shell completion script made from these declarations.',
    flags: {},
    examples: ['eval "$(vmplan completion bash)"   # in ~/.bashrc', 'vmplan completion fish | source'],
    completes: { operands: [COMPLETION_SHELLS] },
    run: completionCommand,
  },
  {
    name: 'schema',
    operands: 'jobs|plan|results',
    summary: 'Print the JSON Schema of the jobs file, plan.json or results.json.',
    flags: {},
    completes: { operands: [Object.keys(PUBLISHED_SCHEMAS)] },
    run: schemaCommand,
  },
];

/** `vmplan completion bash|zsh|fish`: the completion script for a shell. */
function completionCommand(args: string[], io: CliIo): number {
  const shell = COMPLETION_SHELLS.find((candidate) => candidate === args[0]);
  if (shell === undefined || args.length !== 1)
    throw new InputError(`vmplan completion: expected one of ${COMPLETION_SHELLS.join(', ')}`);
  io.stdout(completionScript(shell, COMMANDS));
  return EXIT.ok;
}

/** The help text: every command's synopsis. */
export function usage(): string {
  return [
    `vmplan ${VMPLAN_VERSION}: plan CI jobs and run each in a throw-away Linux VM`,
    '',
    'Usage:',
    ...COMMANDS.map((command) => `  vmplan ${synopsis(command)}`),
    '',
    'FILE defaults to .github/vmplan.yml. Exit codes: 0 ok, 1 a job failed, 2 invalid input, 3 vmplan could not do its own work (e.g. disk full).',
    'vmplan help COMMAND (or vmplan COMMAND --help) explains one command and its flags.',
    '',
  ].join('\n');
}

/**
 * One line for a first word that is no command: the likely command, or for a flag (`-v`) the likely top-level
 * flag, else where the list is.
 */
export function unknownCommand(name: string): string {
  if (name.startsWith('-')) {
    const match = name === '-v' || name === '-V' ? '--version' : closestMatch(name, ['--help', '--version']);
    return match === undefined
      ? `vmplan: unknown flag ${name}; a command comes first (vmplan help lists the commands)`
      : `vmplan: unknown flag ${name}; did you mean ${match}?`;
  }
  const match = closestMatch(
    name,
    COMMANDS.map((candidate) => candidate.name),
  );
  return match === undefined
    ? `vmplan: unknown command "${name}"; vmplan help lists the commands`
    : `vmplan: unknown command "${name}"; did you mean "${match}"? (vmplan help lists the commands)`;
}

/** Runs one CLI invocation and returns its exit code; InputErrors print their problems and give 2. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? args[0] : undefined;
    if (topic !== undefined) return helpFor(topic, io);
    io.stdout(usage());
    return name === undefined ? EXIT.invalidInput : EXIT.ok;
  }
  if (name === '--version' || name === 'version') {
    io.stdout(`${VMPLAN_VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    io.stderr(`${unknownCommand(name)}\n`);
    return EXIT.invalidInput;
  }
  if (args.includes('--help') || args.includes('-h')) return helpFor(name, io);
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof InputError) {
      const count = error.problems.length;
      io.stderr(`${error.message}\n${count > 1 ? `${count} problems found; nothing was run.\n` : ''}`);
      if (wantsJson(command.flags, args)) printJson(io, name, false, problemsDocument(error.problems));
      return EXIT.invalidInput;
    }
    if (error instanceof InfrastructureError) {
      io.stderr(`vmplan: ${error.message}\n`);
      return EXIT.infrastructure;
    }
    throw error;
  }
}

/** `vmplan help COMMAND`: the command's own help, or the list when there is no such command. */
function helpFor(name: string, io: CliIo): number {
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    io.stderr(`${unknownCommand(name)}\n`);
    return EXIT.invalidInput;
  }
  io.stdout(commandHelp(command));
  return EXIT.ok;
}
