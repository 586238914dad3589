import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { repositoryRoot } from '../../context/local-context.js';
import { executorOptions } from '../../executors/catalog.js';
import { openJobShell } from '../../pipeline/shell.js';
import { readPlan } from '../../plan/io.js';
import type { StateLayout } from '../../records/layout.js';
import { type CliIo, EXIT } from '../io.js';

/** The executors' options that mean something for a shell. */
export function shellExecutorOptions() {
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

/** Opens the shell (the run and job checked), with vmplan's signals stopping the VM; the exit code of the command. */
export async function openShell(
  io: CliIo,
  layout: StateLayout,
  runId: string,
  job: string,
  values: { verbose?: boolean; [option: string]: unknown },
): Promise<number> {
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
      // The VM did not end on its own (stopped, killed): the hypervisor may have left the terminal raw.
      if (io.interactive === true) spawnSync('stty', ['sane'], { stdio: 'inherit' });
      io.stderr(`vmplan: the shell's VM failed: ${outcome.message ?? 'no reason given'}\n`);
      return EXIT.infrastructure;
    }
    io.stderr('vmplan: shell closed; the VM is stopped and its files removed\n');
    return EXIT.ok;
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
  }
}
