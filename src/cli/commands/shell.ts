import { resolve } from 'node:path';
import { repositoryRoot } from '../../context/local-context.js';
import { InputError } from '../../errors.js';
import { executorOptions } from '../../executors/catalog.js';
import { openJobShell, shellableJob } from '../../pipeline/shell.js';
import { readPlan } from '../../plan/io.js';
import { parseCommandArgs } from '../args.js';
import { type CliIo, EXIT } from '../io.js';
import type { FlagSpec, Flags } from '../spec.js';
import { CACHE_DIR, stateLayout } from './run.js';
import { resolveRunId, STATE_DIR } from './runs.js';

/** The flags of `vmplan shell`. */
export const SHELL_FLAGS = {
  ...STATE_DIR,
  ...CACHE_DIR,
  verbose: { type: 'boolean', description: 'Also show the VM command line and the VM process output.' },
  // The executors' own flags (--vfkit-path, ...): the shell boots the job's VM as a run would. A shell's disk
  // is never kept: it is a clone, of the job's kept disk when there is one.
  ...(Object.fromEntries(
    shellExecutorOptions().map((option) => [
      option.name,
      { type: option.type, value: option.value, description: option.description },
    ]),
  ) as Record<string, FlagSpec>),
} as const satisfies Flags;

/** The executors' options that mean something for a shell. */
function shellExecutorOptions() {
  return executorOptions().filter((option) => option.name !== 'keep-failed-disks');
}

/**
 * Why a shell cannot be offered here, or undefined when it can: it needs a person at a terminal, and is never
 * part of a CI run (a shell there would hang the job, or hand the runner to whoever can type into it).
 */
export function shellRefusal(io: CliIo): string | undefined {
  if (io.env.GITHUB_ACTIONS === 'true')
    return "a shell into a job's VM is for a local terminal only; it is never offered in GitHub Actions (read the job's logs there: vmplan logs RUN JOB)";
  if (io.interactive !== true)
    return 'needs an interactive terminal (stdin and stdout a TTY) to type into the VM; read the logs instead: vmplan logs RUN JOB';
  return undefined;
}

/** `vmplan shell RUN JOB`: a shell in a fresh VM of a run's job, its workspace as the job had it. */
export async function shellCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('shell', args, SHELL_FLAGS);
  if (positionals.length !== 2)
    throw new InputError(
      `vmplan shell: expected RUN and JOB (e.g. vmplan shell latest unit), got ${positionals.length} operand(s)`,
    );
  const layout = stateLayout(io, values['state-dir'], values['cache-dir']);
  const runId = resolveRunId(layout, positionals[0]);
  const plan = readPlan(layout.planFile(runId));
  shellableJob(plan, runId, positionals[1]!);
  const refusal = shellRefusal(io);
  if (refusal !== undefined) throw new InputError(`vmplan shell: ${refusal}`);
  return openShell(io, runId, positionals[1]!, values);
}

/** Opens the shell (the run and job checked), with vmplan's signals stopping the VM; the exit code of the command. */
export async function openShell(
  io: CliIo,
  runId: string,
  job: string,
  values: { 'state-dir'?: string; 'cache-dir'?: string; verbose?: boolean; [option: string]: unknown },
): Promise<number> {
  const layout = stateLayout(io, values['state-dir'], values['cache-dir']);
  const plan = readPlan(layout.planFile(runId));
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) =>
    controller.abort({ kind: 'cancel', message: `received ${signal}` });
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  io.stderr(`vmplan: opening a shell in job ${job} of run ${runId} (exit leaves it and stops the VM)\n`);
  try {
    const outcome = await openJobShell({
      layout,
      runId,
      plan,
      job,
      env: io.env,
      repositoryRoot: repositoryRoot(io.cwd),
      executors: {
        base: resolve(io.cwd),
        options: Object.fromEntries(
          executorOptions().map((option) => [
            option.name,
            values[option.name] as string | boolean | undefined,
          ]),
        ),
      },
      live: { write: (text) => io.stderr(text) },
      verbose: values.verbose === true,
      signal: controller.signal,
    });
    if (outcome.status !== 'passed') {
      io.stderr(`vmplan: the shell's VM failed: ${outcome.message ?? 'no reason given'}\n`);
      return EXIT.infrastructure;
    }
    io.stderr('vmplan: shell closed; the VM is stopped and its files removed\n');
    return EXIT.ok;
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
  }
}
