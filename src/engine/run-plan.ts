import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Executor as ExecutorName } from '../config/schema.js';
import type { ExecuteNode, Plan, PlanNode, PrepareNode } from '../plan/schema.js';
import type { StateLayout } from '../records/layout.js';
import type { NodeRecord, NodeStatus, RunStatus } from '../records/schema.js';
import type { RunStore } from '../records/store.js';
import type { Masker } from '../util/mask.js';
import type { AbortReason, ImagePreparer, JobExecutor, PreparedImage, RunWorkspace } from './executor.js';
import { JobLog, type LiveSink } from './job-log.js';
import { type Capacity, Scheduler, type SkipDecision } from './scheduler.js';

/** Reports what the engine does, as it does it (the CLI prints lines; the action writes groups). */
export interface ProgressReporter {
  nodeStarted(node: PlanNode): void;
  nodeFinished(node: PlanNode, record: NodeRecord): void;
  /** Live output of a node, or undefined to keep it in the log file only. */
  liveSink(node: PlanNode): LiveSink | undefined;
}

/** Everything the engine needs besides the plan. */
export interface EngineOptions {
  layout: StateLayout;
  store: RunStore;
  workspace: RunWorkspace;
  executors: Partial<Record<ExecutorName, JobExecutor>>;
  preparer: ImagePreparer | undefined;
  repositoryRoot: string;
  capacity: Capacity;
  failFast: boolean;
  /** Secret values by name, for the jobs that name them. */
  secrets: Record<string, string>;
  masker: Masker;
  progress: ProgressReporter;
  /** Aborts the whole run (SIGINT/SIGTERM); `reason` is a message. */
  signal: AbortSignal;
  /** Grace between SIGTERM/HardStop and SIGKILL when a job times out. */
  timeoutGraceMs?: number;
  /** Grace when the run is cancelled; kept short so a cancelled run ends within 5 s. */
  cancelGraceMs?: number;
}

/** A node the engine is running: its abort controller and promise. */
interface Running {
  node: PlanNode;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Runs a plan's nodes with the scheduler: prepare nodes once, execute nodes when their dependencies passed,
 * timeouts and cancellation through abort signals, every transition recorded. Returns the run's status;
 * the caller finishes the run record.
 */
export async function runPlanNodes(
  plan: Plan,
  options: EngineOptions,
): Promise<{ status: RunStatus; message: string | null }> {
  const { store, progress } = options;
  const scheduler = new Scheduler(plan.nodes, options.capacity);
  const images = new Map<string, PreparedImage>();
  const running = new Map<string, Running>();
  let failure: string | undefined;
  let wake: () => void = () => undefined;

  const byId = new Map(plan.nodes.map((node) => [node.id, node]));
  const finishSkipped = (decisions: SkipDecision[], status: NodeStatus = 'skipped') => {
    for (const decision of decisions) {
      store.finishNode(decision.nodeId, status, { message: decision.message });
      const node = byId.get(decision.nodeId)!;
      progress.nodeFinished(node, store.node(node.id));
    }
  };

  const cancelAll = (message: string) => {
    for (const entry of running.values()) {
      if (!entry.controller.signal.aborted)
        entry.controller.abort({ kind: 'cancel', message } satisfies AbortReason);
    }
  };

  const onRunAbort = () => {
    const message = `cancelled: ${String(options.signal.reason ?? 'vmplan was stopped')}`;
    finishSkipped(
      scheduler.stop(message).map((d) => ({ ...d, message })),
      'cancelled',
    );
    cancelAll(message);
    wake();
  };
  if (options.signal.aborted) onRunAbort();
  else options.signal.addEventListener('abort', onRunAbort, { once: true });

  // An error of the engine itself (a record that cannot be written, say) while nodes run: stop them all.
  let engineError: unknown;
  const failEngine = (error: unknown) => {
    engineError ??= error;
    cancelAll(`vmplan error: ${(error as Error).message ?? String(error)}`);
    wake();
  };

  const start = (node: PlanNode) => {
    const controller = new AbortController();
    store.start(node.id);
    progress.nodeStarted(node);
    const onResult = (result: NodeResult) => {
      running.delete(node.id);
      if (engineError !== undefined) return;
      store.finishNode(node.id, result.status, {
        exitCode: result.exitCode,
        message: result.message,
        cached: result.cached,
      });
      progress.nodeFinished(node, store.node(node.id));
      finishSkipped(scheduler.complete(node.id, result.status));
      if (result.status === 'failed' || result.status === 'timed_out') {
        const label = node.kind === 'execute' ? `"${node.job}"` : `image "${node.image}"`;
        const what = `${label} ${result.status === 'timed_out' ? 'timed out' : 'failed'}`;
        failure ??= what;
        if (options.failFast && !options.signal.aborted) {
          finishSkipped(scheduler.stop(`fail-fast after ${what}`));
          cancelAll(`fail-fast after ${what}`);
        }
      }
      wake();
    };
    const done = runNode(plan, node, controller, options, images).then(onResult).catch(failEngine);
    running.set(node.id, { node, controller, done });
  };

  try {
    for (;;) {
      if (engineError !== undefined) throw engineError;
      for (const node of scheduler.takeStartable()) start(node);
      if (scheduler.done && running.size === 0) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } catch (error) {
    // Never leave jobs running behind a failed engine: stop them, wait (bounded by their grace), then fail.
    failEngine(error);
    await Promise.all([...running.values()].map((entry) => entry.done));
    throw engineError;
  } finally {
    options.signal.removeEventListener('abort', onRunAbort);
  }

  if (options.signal.aborted)
    return {
      status: 'cancelled',
      message: `cancelled: ${String(options.signal.reason ?? 'vmplan was stopped')}`,
    };
  const jobs = store.allNodes().filter((record) => record.kind === 'execute');
  const allPassed = jobs.every((record) => record.status === 'passed');
  if (allPassed && failure === undefined) return { status: 'passed', message: null };
  const notPassed = jobs.filter((record) => record.status !== 'passed').length;
  return {
    status: 'failed',
    message: `${failure ?? 'a job did not pass'}; ${notPassed} of ${jobs.length} job(s) did not pass`,
  };
}

/** How long an image may take to prepare: a hung image build must not hold the run (and its Mac) forever. */
export const IMAGE_PREPARE_TIMEOUT_MINUTES = 120;

/** The terminal result of one node. */
interface NodeResult {
  status: NodeStatus;
  exitCode: number | null;
  message: string | null;
  cached: boolean | undefined;
}

async function runNode(
  plan: Plan,
  node: PlanNode,
  controller: AbortController,
  options: EngineOptions,
  images: Map<string, PreparedImage>,
): Promise<NodeResult> {
  const nodeDir = options.layout.nodeDir(options.store.runId, node);
  mkdirSync(nodeDir, { recursive: true });
  const live = options.progress.liveSink(node);
  const log = new JobLog(join(nodeDir, 'host.log'), options.masker, live);
  const guestLog =
    node.kind === 'execute' && node.type === 'vm_command'
      ? new JobLog(join(nodeDir, 'guest.log'), options.masker, live)
      : undefined;
  const timeoutMinutes = node.kind === 'execute' ? node.timeoutMinutes : IMAGE_PREPARE_TIMEOUT_MINUTES;
  const timer = setTimeout(
    () => controller.abort({ kind: 'timeout', minutes: timeoutMinutes } satisfies AbortReason),
    timeoutMinutes * 60_000,
  );
  const graceFor = () =>
    (controller.signal.reason as AbortReason | undefined)?.kind === 'timeout'
      ? (options.timeoutGraceMs ?? 5_000)
      : (options.cancelGraceMs ?? 2_000);

  let result: NodeResult;
  try {
    const work =
      node.kind === 'prepare'
        ? prepareNode(plan, node, controller, options, images, log, graceFor)
        : executeNode(plan, node, controller, options, images, log, guestLog, graceFor);
    result = await withAbortDeadline(work, controller.signal, graceFor);
  } catch (error) {
    result = {
      status: 'failed',
      exitCode: null,
      message: `vmplan error: ${(error as Error).message}`,
      cached: undefined,
    };
  } finally {
    clearTimeout(timer);
  }

  const reason = controller.signal.reason as AbortReason | undefined;
  if (controller.signal.aborted && reason !== undefined) {
    result =
      reason.kind === 'timeout'
        ? { ...result, status: 'timed_out', message: `timed out after ${reason.minutes} minute(s); stopped` }
        : { ...result, status: 'cancelled', message: reason.message };
  }
  if (result.message !== null && result.status !== 'passed')
    await log.note(`vmplan: ${result.status}: ${result.message}`).catch(() => undefined);
  await log.close();
  return result;
}

async function prepareNode(
  plan: Plan,
  node: PrepareNode,
  controller: AbortController,
  options: EngineOptions,
  images: Map<string, PreparedImage>,
  log: JobLog,
  graceFor: () => number,
): Promise<NodeResult> {
  if (options.preparer === undefined) {
    return {
      status: 'failed',
      exitCode: null,
      message: 'no image preparer is available in this build',
      cached: undefined,
    };
  }
  const outcome = await options.preparer.prepare({
    runId: options.store.runId,
    plan,
    node,
    nodeDir: options.layout.nodeDir(options.store.runId, node),
    repositoryRoot: options.repositoryRoot,
    signal: controller.signal,
    log,
    killGraceMs: graceFor,
    onProcess: (process) => options.store.update(node.id, { process }),
  });
  if (outcome.status === 'passed' && outcome.image !== undefined) images.set(node.image, outcome.image);
  return { status: outcome.status, exitCode: null, message: outcome.message, cached: outcome.cached };
}

async function executeNode(
  plan: Plan,
  node: ExecuteNode,
  controller: AbortController,
  options: EngineOptions,
  images: Map<string, PreparedImage>,
  log: JobLog,
  guestLog: JobLog | undefined,
  graceFor: () => number,
): Promise<NodeResult> {
  const executor = options.executors[node.executor];
  if (executor === undefined) {
    return {
      status: 'failed',
      exitCode: null,
      message: `the ${node.executor} executor is not available here`,
      cached: undefined,
    };
  }
  const secrets: Record<string, string> = {};
  for (const name of node.secrets) secrets[name] = options.secrets[name] ?? '';
  const outcome = await executor.runJob({
    runId: options.store.runId,
    plan,
    node,
    jobDir: options.layout.nodeDir(options.store.runId, node),
    cacheDir: options.layout.cacheDir,
    workspace: options.workspace,
    image: node.image === null ? undefined : images.get(node.image),
    secrets,
    signal: controller.signal,
    log,
    guestLog,
    killGraceMs: graceFor,
    onProcess: (process) => options.store.update(node.id, { process }),
  });
  return { ...outcome, cached: undefined };
}

/**
 * Once a node is aborted, its executor has the grace period plus a margin to stop; after that the engine
 * stops waiting so the run can still end on time (the executor's late result is dropped).
 */
async function withAbortDeadline(
  work: Promise<NodeResult>,
  signal: AbortSignal,
  graceFor: () => number,
): Promise<NodeResult> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<NodeResult>((resolve) => {
    const arm = () => {
      timer = setTimeout(
        () =>
          resolve({
            status: 'failed',
            exitCode: null,
            message: 'the executor did not stop in time',
            cached: undefined,
          }),
        graceFor() + 2_500,
      );
    };
    if (signal.aborted) arm();
    else signal.addEventListener('abort', arm, { once: true });
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
