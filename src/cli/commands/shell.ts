import { InputError } from '../../errors.js';
import { shellableJob } from '../../pipeline/shell.js';
import { readPlan } from '../../plan/io.js';
import { parseCommandArgs } from '../args.js';
import type { CliIo } from '../io.js';
import type { FlagSpec, Flags } from '../spec.js';
import { CACHE_DIR, stateLayout } from './run.js';
import { resolveRunId, STATE_DIR } from './runs.js';
import { openShell, shellExecutorOptions, shellRefusal } from './shell-session.js';

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
  return openShell(io, layout, runId, positionals[1]!, values);
}
