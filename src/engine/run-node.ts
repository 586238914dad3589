import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RetryCause } from '../config/schema.js';
import { isOutOfSpace } from '../errors.js';
import type { AbortReason, PreparedImage } from '../executors/contract.js';
import { effectiveLimits } from '../plan/limits.js';
import type { ExecuteNode, Plan, PlanNode, PrepareNode } from '../plan/schema.js';
import type { TrustPolicy } from '../plan/trust.js';
import { JobLog } from '../records/job-log.js';
import { type Attempt, type NodeStatus, phasesFrom, type TimedPhase } from '../records/schema.js';
import { nodeLabel, retryLine, statusLabel } from '../records/status-words.js';
import type { EngineOptions } from './run-plan.js';

/** How long an image may take to prepare: a hung image build must not hold the run (and its Mac) forever. */
export const IMAGE_PREPARE_TIMEOUT_MINUTES = 120;

/** The terminal result of one node. */
export interface NodeResult {
  status: NodeStatus;
  exitCode: number | null;
  message: string | null;
  cached: boolean | undefined;
  /** Why it did not pass, as `retry-on` names it; null when it passed, was cancelled, or vmplan itself failed it. */
  cause: RetryCause | null;
  /** Every attempt, when the job ran more than once. */
  attempts?: Attempt[];
  /** Where the (last attempt of the) job's time went, on the host's clock. */
  phases?: TimedPhase[];
}

/** A node's logs: host.log, and guest.log for VM jobs; either failing to write stops the node. */
function nodeLogs(
  node: PlanNode,
  nodeDir: string,
  controller: AbortController,
  options: EngineOptions,
): { log: JobLog; guestLog: JobLog | undefined } {
  const live = options.progress.liveSink(node);
  const failed = stopOnLogFailure(node, controller, options);
  const log = new JobLog(join(nodeDir, 'host.log'), options.masker, live, options.verbose === true, failed);
  const guestLog =
    node.kind === 'execute' && node.type === 'vm_command'
      ? new JobLog(join(nodeDir, 'guest.log'), options.masker, live, false, failed)
      : undefined;
  return { log, guestLog };
}

/** The result of a node that was stopped: timed out, cancelled, or failed for a reason of vmplan's own. */
function withAbortReason(result: NodeResult, signal: AbortSignal): NodeResult {
  const reason = signal.reason as AbortReason | undefined;
  if (!signal.aborted || reason === undefined) return result;
  if (reason.kind === 'timeout')
    return {
      ...result,
      status: 'timed_out',
      message: `timed out after ${reason.minutes} minute(s); stopped`,
      cause: 'timeout',
    };
  // A cancellation, or vmplan's own trouble (its log could not be written): neither is the job's to retry.
  return {
    ...result,
    status: reason.kind === 'cancel' ? 'cancelled' : 'failed',
    message: reason.message,
    cause: null,
  };
}

/**
 * What a node does when its log cannot be written (the disk is full): the job is stopped and fails, saying why,
 * and the problem is vmplan's own (exit 3); the run goes on to end with terminal records.
 */
function stopOnLogFailure(
  node: PlanNode,
  controller: AbortController,
  options: EngineOptions,
): (error: NodeJS.ErrnoException) => void {
  return (error) => {
    const space = isOutOfSpace(error) ? ': the state folder is out of space' : '';
    const message = `vmplan could not write this job's log (${error.code ?? error.message}${space}); the job was stopped`;
    options.store.addInfrastructureProblem(`${nodeLabel(node)}: ${message}`);
    controller.abort({ kind: 'infrastructure', message } satisfies AbortReason);
  };
}

/**
 * Runs one node to its terminal result. A job with `retry` runs again, in a fresh VM and workspace, while an
 * attempt ends as its `retry-on` says and retries are left; each attempt's files are kept apart
 * (jobs/<job>/attempts/<n>/) and recorded, and the run's own abort (fail-fast, cancel) ends the attempts.
 */
export async function runNode(
  plan: Plan,
  node: PlanNode,
  controller: AbortController,
  options: EngineOptions,
  images: Map<string, PreparedImage>,
): Promise<NodeResult> {
  if (node.kind !== 'execute' || node.retry === undefined)
    return runAttempt(plan, node, controller, options, images);
  const retry = node.retry;
  const attempts: Attempt[] = [];
  const nodeDir = options.layout.nodeDir(options.store.runId, node);
  for (let number = 1; ; number++) {
    const startedAt = new Date();
    // Each attempt has its own timeout; the node's controller (fail-fast, the run's cancel) stops any of them.
    const attempt = new AbortController();
    const follow = () => attempt.abort(controller.signal.reason);
    if (controller.signal.aborted) follow();
    else controller.signal.addEventListener('abort', follow, { once: true });
    const earlier = attempts.at(-1);
    const note =
      earlier === undefined
        ? undefined
        : `vmplan: attempt ${number} of ${retry.retries + 1} (${retryLine(earlier, retry.retries + 1).replace(/; retrying$/, '')}; its files: ${earlier.folder})`;
    const result = await runAttempt(plan, node, attempt, options, images, note).finally(() =>
      controller.signal.removeEventListener('abort', follow),
    );
    attempts.push(
      attemptOf(number, startedAt, result, relative(options.layout.runDir(options.store.runId), nodeDir)),
    );
    const again =
      result.status !== 'passed' &&
      !controller.signal.aborted &&
      number <= retry.retries &&
      result.cause !== null &&
      retry.on.includes(result.cause);
    if (!again) return attempts.length === 1 ? result : { ...result, attempts };
    try {
      attempts[number - 1]!.folder = keepAttemptApart(options, nodeDir, number);
    } catch (error) {
      // Without its own folder the next attempt would mix its files with this one's: stop here, saying why.
      const why = `not retried: attempt ${number}'s files could not be kept apart (${(error as Error).message})`;
      options.store.addInfrastructureProblem(`${nodeLabel(node)}: ${why}`);
      const message = `${result.message ?? statusLabel(result.status)}; ${why}`;
      return attempts.length === 1 ? { ...result, message } : { ...result, message, attempts };
    }
    options.store.update(node.id, { attempts });
    options.progress.nodeRetrying?.(node, attempts[number - 1]!, retry.retries + 1);
  }
}

/** The record of one finished attempt (its files in `folder`, relative to the run folder). */
function attemptOf(number: number, startedAt: Date, result: NodeResult, folder: string): Attempt {
  const finishedAt = new Date();
  return {
    attempt: number,
    status:
      result.status === 'passed' || result.status === 'timed_out' || result.status === 'cancelled'
        ? result.status
        : 'failed',
    cause: result.status === 'passed' ? null : result.cause,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: Math.max(0, finishedAt.getTime() - startedAt.getTime()),
    exitCode: result.exitCode,
    message: result.message,
    folder,
    ...(result.phases === undefined ? {} : { phases: phasesFrom(result.phases, startedAt.toISOString()) }),
  };
}

/**
 * Moves an attempt's files (logs, reports, artifacts, the guest's result) to attempts/<n>/ so the next attempt
 * starts from an empty job folder; its workspace is removed (the next attempt gets a fresh one). Returns the
 * folder, relative to the run folder.
 */
function keepAttemptApart(options: EngineOptions, nodeDir: string, number: number): string {
  const kept = join(nodeDir, 'attempts', String(number));
  mkdirSync(kept, { recursive: true });
  for (const name of readdirSync(nodeDir)) {
    if (name === 'attempts') continue;
    // rename never follows a link; a workspace can be large: removed, not kept.
    if (name === 'workspace' || name === 'snapshot-view') {
      try {
        rmSync(join(nodeDir, name), { recursive: true, force: true });
        continue;
      } catch {
        // Not removable (held by a process that outlived the job): set aside with the attempt instead.
      }
    }
    renameSync(join(nodeDir, name), join(kept, name));
  }
  return relative(options.layout.runDir(options.store.runId), kept);
}

/** Runs one attempt of a node to its terminal result: its logs, its timeout, and an abort turned into timed_out or cancelled. */
async function runAttempt(
  plan: Plan,
  node: PlanNode,
  controller: AbortController,
  options: EngineOptions,
  images: Map<string, PreparedImage>,
  firstNote?: string,
): Promise<NodeResult> {
  const nodeDir = options.layout.nodeDir(options.store.runId, node);
  mkdirSync(nodeDir, { recursive: true });
  const { log, guestLog } = nodeLogs(node, nodeDir, controller, options);
  if (firstNote !== undefined) await log.note(firstNote).catch(() => undefined);
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
      // The machine under the job failed it (a disk clone, a share, the hypervisor's start).
      cause: 'infrastructure',
    };
  } finally {
    clearTimeout(timer);
  }

  result = withAbortReason(result, controller.signal);
  if (result.message !== null && result.status !== 'passed')
    await log.note(`vmplan: ${result.status}: ${result.message}`).catch(() => undefined);
  // Both files complete before the records say the node ended (the report reads them next), neither left open.
  await Promise.all([log.close(), guestLog?.close()]);
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
      cause: 'infrastructure',
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
  return {
    status: outcome.status,
    exitCode: null,
    message: outcome.message,
    cached: outcome.cached,
    cause: outcome.status === 'passed' ? null : 'failure',
  };
}

/**
 * Where the outputs of the jobs a node needs are (this run's job folders, or the earlier run a rerun took them
 * from), or the failed result when one of them is not there.
 */
function neededOutputs(
  node: ExecuteNode,
  options: EngineOptions,
): { from: string; folder: string }[] | NodeResult {
  const inputs = (node.receives ?? []).map((received) => ({
    from: received.from,
    folder: join(
      options.layout.runDir(received.run ?? options.store.runId),
      'jobs',
      received.from,
      'outputs',
    ),
  }));
  const missing = (node.receives ?? [])
    .filter((_, index) => !existsSync(inputs[index]!.folder))
    .map(
      (received) => `"${received.from}"${received.run === undefined ? '' : ` (kept by run ${received.run})`}`,
    );
  if (missing.length > 0)
    return {
      status: 'failed',
      exitCode: null,
      message: `the outputs of ${missing.join(', ')} are not there: its globs matched nothing, or that run was deleted`,
      cached: undefined,
      cause: null,
    };
  return inputs;
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
      cause: 'infrastructure',
    };
  }
  const secrets: Record<string, string> = {};
  for (const name of node.secrets) secrets[name] = options.secrets[name] ?? '';
  const inputs = neededOutputs(node, options);
  if (!Array.isArray(inputs)) return inputs;
  const outcome = await executor.runJob({
    runId: options.store.runId,
    plan,
    node,
    jobDir: options.layout.nodeDir(options.store.runId, node),
    cacheDir: options.layout.cacheDir,
    hostWorkspaces: options.layout.hostWorkspaceCandidates(options.store.runId, node.job),
    sharedCachesDir: sharedCachesDir(options.layout.cacheDir, plan.source.repository, options.trust),
    network: guestNetwork(node, options.trust),
    workspace: options.workspace,
    image: node.image === null ? undefined : images.get(node.image),
    secrets,
    runSecrets: Object.values(options.secrets),
    signal: controller.signal,
    log,
    guestLog,
    killGraceMs: graceFor,
    onProcess: (process) => options.store.update(node.id, { process }),
    inputs,
    limits: effectiveLimits(node.limits, options.trust.trusted),
  });
  const { infrastructure, ...result } = outcome;
  return {
    ...result,
    cached: undefined,
    cause:
      outcome.status === 'passed'
        ? null
        : infrastructure === true
          ? 'infrastructure'
          : outcome.status === 'timed_out'
            ? 'timeout'
            : 'failure',
  };
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
            cause: null,
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

/**
 * Whether a VM job's guest gets a network device: not when the job (or, when it says nothing, its image) asks for
 * `network: none`, nor in an untrusted run held to `untrusted-network: none`.
 */
export function guestNetwork(node: Pick<ExecuteNode, 'network'>, trust: TrustPolicy): boolean {
  return node.network !== 'none' && !(trust.trusted === false && trust.network === 'none');
}

/**
 * The folder of a job's named caches: `cache/shared/<repository>/<trusted|untrusted>/`. Untrusted runs write only
 * their own namespace and never read the trusted one; repositories sharing a machine never share caches.
 */
export function sharedCachesDir(cacheDir: string, repository: string | null, trust: TrustPolicy): string {
  const scope = (repository ?? 'local').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return join(cacheDir, 'shared', scope, trust.trusted ? 'trusted' : 'untrusted');
}
