import { existsSync } from 'node:fs';
import type { ProgressReporter } from '../engine/run-plan.js';
import { startRun } from '../engine/start-run.js';
import { enforceTrust } from '../engine/trust-check.js';
import { InputError } from '../errors.js';
import { availableExecutors } from '../executors/available.js';
import { isVmExecutor } from '../executors/catalog.js';
import type { ExecutorSettings } from '../executors/descriptor.js';
import { checkFreeSpace } from '../images/cache-gc.js';
import { givenImageFileProblems } from '../images/given-files.js';
import { HostImagePreparer } from '../images/preparer.js';
import type { Plan } from '../plan/schema.js';
import type { TrustPolicy } from '../plan/trust.js';
import type { StateLayout } from '../records/layout.js';
import { RUN_ID_PATTERN } from '../records/schema.js';
import type { RunStore } from '../records/store.js';
import type { JobLocation } from '../report/annotations.js';
import { readResults } from '../results/io.js';
import { releaseLeases } from '../util/lease.js';
import { ensureStateDir } from '../util/state-dir.js';
import { collectRun } from './collect.js';
import { type EarlierRun, JobTracker } from './job-tracker.js';
import type { CollectedRun, NodeHooks, RunPorts } from './ports.js';
import { RunSignals, type SignalWording } from './signals.js';

/** Everything a run needs besides its ports: the plan and where and how to run it. */
export interface RunRequest {
  /** The plan this runner executes (maybe one shard). */
  plan: Plan;
  /** The id of the whole plan (a shard's results refer to it). */
  basePlanId: string;
  /** How the plan was given (a plan.json path, or the jobs file it was made from). */
  planPath: string;
  layout: StateLayout;
  /** The repository the snapshot is made of, and that annotation paths are relative to. */
  repositoryRoot: string;
  /** Where secret values come from (the runner's environment). */
  env: NodeJS.ProcessEnv;
  /** Executor settings besides the environment and cache folder: option values and where paths start. */
  executors: Pick<ExecutorSettings, 'base' | 'options'>;
  maxParallel: number | undefined;
  failFast: boolean;
  /**
   * A rerun: the run it repeats, whose snapshot it uses, and (when the caller has them) that run's job results;
   * for a local run they are read from its results.json.
   */
  rerun:
    | {
        of: string;
        snapshotRun: string | undefined;
        earlier?: Omit<EarlierRun, 'run'> | undefined;
      }
    | undefined;
  /** Where each job is defined, to put its failure annotation there. */
  locate: JobLocation;
  /** What the run may do. */
  trust: TrustPolicy;
  /** Show details live (VM command lines and VM process output). */
  verbose?: boolean;
  signals: SignalWording;
  /**
   * Free space the state and cache folders must have for the run to start (see checkFreeSpace). Default: 2 GB
   * when a job runs in a VM (images, root disk clones), none for host-only runs (their records are reserved).
   */
  minFreeBytes?: number;
}

/** The free space a run with VM jobs needs by default. */
export const DEFAULT_MIN_FREE_BYTES = 2e9;

/**
 * The run pipeline shared by the CLI and the action: execute the plan (signals, progress, check runs), collect
 * what it left (reports, annotations, results.json), upload, report. The caller made the plan and supplies the
 * ports for everything that differs.
 */
export async function runPipeline(request: RunRequest, ports: RunPorts): Promise<CollectedRun> {
  const tracker = new JobTracker(request.layout, request.repositoryRoot, request.locate, earlierRun(request));
  const signals = new RunSignals(request.layout, request.signals);
  const record = await execute(request, ports, tracker, signals);
  await tracker.analysed();
  const collected = collectRun(
    request.plan,
    request.basePlanId,
    record,
    request.layout,
    tracker,
    signals.signalled,
  );
  await ports.upload?.(collected);
  await tracker.settled();
  await ports.report(collected);
  return collected;
}

/** What the run a rerun repeats left: given by the caller, else its results.json in the state folder (if any). */
function earlierRun({ rerun, layout }: RunRequest): EarlierRun | undefined {
  if (rerun === undefined) return undefined;
  if (rerun.earlier !== undefined) return { run: rerun.of, ...rerun.earlier };
  if (!RUN_ID_PATTERN.test(rerun.of)) return undefined;
  const path = layout.resultsFile(rerun.of);
  try {
    // A local rerun on the snapshot of the run it repeats runs the very same files; one on a new snapshot (after a
    // fix) does not, so a job passing there is not flaky.
    const sameCode = rerun.snapshotRun !== undefined;
    return existsSync(path) ? { run: rerun.of, sameCode, jobs: readResults(path).jobs } : undefined;
  } catch {
    // An unreadable earlier results.json only means nothing is known of what flipped.
    return undefined;
  }
}

/** Runs the plan to its end with signals handled; the records end terminal whatever happens. Returns them. */
async function execute(
  request: RunRequest,
  ports: RunPorts,
  tracker: JobTracker,
  signals: RunSignals,
): Promise<RunStore> {
  const { plan, layout, env } = request;
  let store: RunStore | undefined;
  signals.install();
  try {
    // Before anything is loaded or probed: an untrusted plan that asks for too much runs nothing at all.
    await enforceTrust(plan, request.trust, {
      repositoryRoot: request.repositoryRoot,
      cacheDir: layout.cacheDir,
    });
    // Prebuilt image files are looked for here, on the machine that runs the plan (it may have been made elsewhere).
    const missing = givenImageFileProblems(plan, request.repositoryRoot);
    if (missing.length > 0) throw new InputError(missing);
    await checkRoom(request);
    await startRun({
      plan,
      planPath: request.planPath,
      layout,
      repositoryRoot: request.repositoryRoot,
      env,
      executors: await availableExecutors(
        plan.nodes.map((node) => node.executor),
        { env, cacheDir: layout.cacheDir, ...request.executors },
      ),
      preparer: new HostImagePreparer(layout.cacheDir, env, { buildOnHost: request.trust.trusted }),
      trust: request.trust,
      verbose: request.verbose,
      maxParallel: request.maxParallel,
      failFast: request.failFast,
      rerun: request.rerun,
      progress: withHooks(ports.progress, tracker, () => store),
      note: (line) => ports.note(line),
      signal: signals.controller.signal,
      onCreated: (created) => {
        store = created;
        signals.attach(created);
        tracker.attach(created, ports.checks?.(layout.runDir(created.runId)));
        ports.runCreated(created);
      },
    });
  } finally {
    signals.uninstall();
    // The run is over: the images and caches it used may be pruned again.
    releaseLeases();
  }
  // startRun returns only once run.json exists and is finished (it throws when nothing could be created).
  return store!;
}

/** The state and cache folders exist and have room for the run (a run that cannot fit never starts). */
async function checkRoom({ plan, layout, minFreeBytes }: RunRequest): Promise<void> {
  ensureStateDir(layout.root);
  ensureStateDir(layout.cacheDir, 'cache folder');
  const needed =
    minFreeBytes ?? (plan.nodes.some((node) => isVmExecutor(node.executor)) ? DEFAULT_MIN_FREE_BYTES : 0);
  if (needed === 0) return;
  await checkFreeSpace(
    [
      { what: 'state folder', path: layout.root },
      { what: 'cache folder', path: layout.cacheDir },
    ],
    layout.cacheDir,
    needed,
  );
}

/** A progress reporter that also tells the pipeline's hooks (after the caller's own lines). */
function withHooks(
  inner: ProgressReporter,
  hooks: NodeHooks,
  store: () => RunStore | undefined,
): ProgressReporter {
  return {
    nodeStarted(node) {
      inner.nodeStarted(node);
      const records = store();
      if (records !== undefined) hooks.started(node, records.node(node.id));
    },
    nodeFinished(node, record) {
      inner.nodeFinished(node, record);
      hooks.finished(node, record);
    },
    nodeRetrying: (node, attempt, of) => inner.nodeRetrying?.(node, attempt, of),
    liveSink: (node) => inner.liveSink(node),
  };
}
