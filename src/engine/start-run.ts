import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import type { Executor as ExecutorName } from '../config/schema.js';
import { InputError, type Problem } from '../errors.js';
import type { JobExecutor, RunWorkspace } from '../executors/contract.js';
import type { ImagePreparer } from '../images/contract.js';
import { writePlan } from '../plan/io.js';
import type { Plan } from '../plan/schema.js';
import type { TrustPolicy } from '../plan/trust.js';
import { newRunId, type StateLayout } from '../records/layout.js';
import { reserveRunSpace, type SpaceReserve } from '../records/reserve.js';
import type { RunRecord } from '../records/schema.js';
import { RunStore } from '../records/store.js';
import { Masker } from '../util/mask.js';
import { ensureStateDir } from '../util/state-dir.js';
import { copyTree } from '../workspace/copy-tree.js';
import { makeSnapshot } from '../workspace/snapshot.js';
import { type ProgressReporter, runPlanNodes } from './run-plan.js';
import { type Capacity, demandOf } from './scheduler.js';

/** MiB kept free for the host itself when sizing VM memory. */
const HOST_MEMORY_RESERVE_MIB = 2048;

/** What a run needs from its caller (the CLI or the action). */
export interface StartRunOptions {
  plan: Plan;
  /** How the plan was given (a plan.json path, or the jobs file it was made from). */
  planPath: string;
  layout: StateLayout;
  repositoryRoot: string;
  /** Where secret values come from (the runner's environment). */
  env: NodeJS.ProcessEnv;
  executors: Partial<Record<ExecutorName, JobExecutor>>;
  preparer: ImagePreparer | undefined;
  maxParallel: number | undefined;
  failFast: boolean;
  /** For reruns: the run this one repeats, and the run whose snapshot it reuses (undefined: a new snapshot). */
  rerun: { of: string; snapshotRun: string | undefined } | undefined;
  progress: ProgressReporter;
  /**
   * What the run may do: the jobs' cache namespace and network. The caller has already enforced it on the plan
   * (enforceTrust, before any executor is loaded); the image preparer also never builds for an untrusted run.
   */
  trust: TrustPolicy;
  /** Show details live too (VM command lines, VM process output); they are always in each host.log. */
  verbose?: boolean;
  /** Lines about the run itself (snapshot made, ...). */
  note: (line: string) => void;
  signal: AbortSignal;
  /** Called as soon as run.json exists, e.g. to finish it from an exit handler. */
  onCreated?: (store: RunStore) => void;
  timeoutGraceMs?: number;
  cancelGraceMs?: number;
}

/** What the machine offers: slots from --max-parallel (else CPUs), CPUs and memory for guests. */
export function hostCapacity(maxParallel: number | undefined): Capacity {
  const cpus = availableParallelism();
  const memoryMiB = Math.max(1024, Math.floor(totalmem() / 1024 / 1024) - HOST_MEMORY_RESERVE_MIB);
  return { slots: maxParallel ?? cpus, cpus, memoryMiB };
}

/**
 * Checks everything that can be checked before a run exists: named secrets are set, executors are available
 * and ready, and every VM fits this machine. Throws one InputError listing all problems; nothing is created.
 */
export async function preflightRun(
  plan: Plan,
  env: NodeJS.ProcessEnv,
  executors: Partial<Record<ExecutorName, JobExecutor>>,
  capacity: Capacity,
): Promise<void> {
  const problems: Problem[] = [];
  for (const precondition of plan.preconditions) {
    if (precondition.kind === 'secret' && (env[precondition.name] ?? '') === '') {
      problems.push({
        message: `secret ${precondition.name} is not set in the environment (needed by ${precondition.nodes.join(', ')})`,
      });
    }
    if (precondition.kind === 'executor' && executors[precondition.executor] === undefined) {
      problems.push({
        message: `the ${precondition.executor} executor is not available here (needed by ${precondition.nodes.length} job(s)); run with --executor host, or on a machine that has it`,
      });
    }
  }
  for (const node of plan.nodes) {
    const demand = demandOf(node);
    if (demand.cpus > capacity.cpus) {
      problems.push({
        message: `${node.id} asks for ${demand.cpus} CPUs; this machine has ${capacity.cpus}`,
      });
    }
    if (demand.memoryMiB > capacity.memoryMiB) {
      problems.push({
        message: `${node.id} asks for ${demand.memoryMiB} MiB of memory; at most ${capacity.memoryMiB} MiB can go to guests here`,
      });
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  for (const name of new Set(plan.nodes.map((node) => node.executor))) {
    await executors[name]?.preflight?.(plan);
  }
}

/**
 * Runs a plan from start to finish: preflight, run folder with plan.json and records, the workspace snapshot,
 * the nodes, and the final run record. Whatever happens after run.json exists — an error, a cancellation —
 * the records end terminal.
 */
export async function startRun(options: StartRunOptions): Promise<RunRecord> {
  const { plan, layout } = options;
  const capacity = hostCapacity(options.maxParallel);
  await preflightRun(plan, options.env, options.executors, capacity);
  const secrets = secretsOf(plan, options.env, options.trust);
  const snapshotRun = options.rerun?.snapshotRun;
  if (snapshotRun !== undefined && !existsSync(layout.snapshotDir(snapshotRun))) {
    throw new InputError(`run ${snapshotRun} has no snapshot left to rerun (was it garbage-collected?)`);
  }
  const store = createRun(options, secrets);
  options.onCreated?.(store);

  let phase: RunPhase = 'setup';
  try {
    const workspace =
      snapshotRun === undefined
        ? await snapshotWorkspace(options, store.runId)
        : reuseSnapshot(layout, snapshotRun);
    phase = 'run';
    if (snapshotRun !== undefined) options.note(`Reusing the workspace snapshot of run ${snapshotRun}`);
    const outcome = await runPlanNodes(plan, {
      layout,
      store,
      workspace,
      executors: options.executors,
      preparer: options.preparer,
      repositoryRoot: options.repositoryRoot,
      capacity,
      failFast: options.failFast,
      secrets,
      trust: options.trust,
      verbose: options.verbose,
      masker: new Masker(Object.values(secrets)),
      progress: options.progress,
      signal: options.signal,
      timeoutGraceMs: options.timeoutGraceMs,
      cancelGraceMs: options.cancelGraceMs,
    });
    phase = 'finish';
    store.finish(outcome.status, outcome.message);
  } catch (error) {
    finishAfterError(store, error, phase, options);
  } finally {
    // Ends a run nothing tried to finish (an error in finishAfterError itself). A run.json that could not be
    // written terminal was tried twice already, and said so: a third try would only bury the reason.
    if (store.record.status === 'running') store.finish('failed', 'run ended unexpectedly');
  }
  return store.record;
}

/** Where a run was when something went wrong: its message and what becomes of its unfinished nodes differ. */
type RunPhase = 'setup' | 'run' | 'finish';

/**
 * Secret values by name, for the secrets the plan names (from the runner's environment). An untrusted run reads
 * only the names the workflow allows it (enforceTrust has refused any other; this is the second lock).
 */
export function secretsOf(plan: Plan, env: NodeJS.ProcessEnv, trust: TrustPolicy): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const precondition of plan.preconditions) {
    if (precondition.kind !== 'secret') continue;
    if (!trust.trusted && !(trust.untrustedSecrets ?? []).includes(precondition.name)) continue;
    secrets[precondition.name] = env[precondition.name] ?? '';
  }
  return secrets;
}

/** The run folder with its plan.json, run.json and a pending status.json per node. */
function createRun(options: StartRunOptions, secrets: Record<string, string>): RunStore {
  const { plan, layout } = options;
  ensureStateDir(layout.root);
  const runId = newRunId();
  mkdirSync(layout.runDir(runId), { recursive: true });
  // First, so that a job filling the disk later cannot keep this run's records from ending terminal.
  let reserve: SpaceReserve;
  try {
    reserve = reserveRunSpace(layout.runDir(runId));
    writePlan(layout.planFile(runId), plan, Object.values(secrets));
  } catch (error) {
    // Nothing of this run exists yet: leave no folder behind.
    rmSync(layout.runDir(runId), { recursive: true, force: true });
    throw error;
  }
  return RunStore.create(
    layout,
    {
      runId,
      planId: plan.planId,
      planPath: options.planPath,
      source: plan.source,
      selection: plan.scope.only,
      changes: plan.scope.changes,
      rerunOf: options.rerun?.of ?? null,
      snapshotRun: options.rerun?.snapshotRun ?? runId,
      options: {
        maxParallel: options.maxParallel ?? null,
        failFast: options.failFast,
        executor: plan.scope.executor,
      },
    },
    plan,
    reserve,
  );
}

/** Ends a run that threw: cancelled when it was cancelled, else failed with a message saying where it broke. */
function finishAfterError(store: RunStore, error: unknown, phase: RunPhase, options: StartRunOptions): void {
  const cancelled = options.signal.aborted;
  const reason = (error as Error).message;
  const message = cancelled
    ? String(options.signal.reason ?? 'vmplan was stopped')
    : phase === 'setup'
      ? `run setup failed: ${reason}`
      : phase === 'run'
        ? `vmplan error during the run (its jobs were stopped): ${reason}`
        : `a record of the finished run could not be written: ${reason}`;
  if (!cancelled && !(error instanceof InputError)) store.addInfrastructureProblem(message);
  try {
    store.finish(
      cancelled ? 'cancelled' : 'failed',
      message,
      cancelled || phase === 'run' ? 'cancelled' : 'skipped',
    );
  } catch (writeError) {
    options.note(`vmplan: a record could not be written: ${(writeError as Error).message}`);
  }
  if (error instanceof InputError) options.note(error.message);
  else if (!cancelled) options.note(`vmplan: ${message}`);
}

/** The run's snapshot of the workspace (what git would commit, see workspace/snapshot.ts). */
async function snapshotWorkspace(options: StartRunOptions, runId: string): Promise<RunWorkspace> {
  const target = options.layout.snapshotDir(runId);
  await makeSnapshot({
    root: options.repositoryRoot,
    target,
    settings: options.plan.workspace,
    commit: options.plan.source.commit,
    trackedOnly: !options.trust.trusted,
    stateRoot: options.layout.root,
    signal: options.signal,
    note: options.note,
  });
  return runWorkspace(target);
}

function reuseSnapshot(layout: StateLayout, runId: string): RunWorkspace {
  return runWorkspace(layout.snapshotDir(runId));
}

/** A RunWorkspace over an existing snapshot folder. */
export function runWorkspace(snapshotDir: string): RunWorkspace {
  return {
    snapshotDir,
    async jobCopy(target) {
      const stats = await copyTree(snapshotDir, target);
      return { ms: stats.ms, method: stats.method };
    },
  };
}
