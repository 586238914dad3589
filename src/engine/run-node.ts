import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isOutOfSpace } from '../errors.js';
import type { AbortReason, PreparedImage } from '../executors/contract.js';
import type { ExecuteNode, Plan, PlanNode, PrepareNode } from '../plan/schema.js';
import type { TrustPolicy } from '../plan/trust.js';
import { JobLog } from '../records/job-log.js';
import type { NodeStatus } from '../records/schema.js';
import { nodeLabel } from '../records/status-words.js';
import type { EngineOptions } from './run-plan.js';

/** How long an image may take to prepare: a hung image build must not hold the run (and its Mac) forever. */
export const IMAGE_PREPARE_TIMEOUT_MINUTES = 120;

/** The terminal result of one node. */
export interface NodeResult {
  status: NodeStatus;
  exitCode: number | null;
  message: string | null;
  cached: boolean | undefined;
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
    };
  return { ...result, status: reason.kind === 'cancel' ? 'cancelled' : 'failed', message: reason.message };
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

/** Runs one node to its terminal result: its logs, its timeout, and an abort turned into timed_out or cancelled. */
export async function runNode(
  plan: Plan,
  node: PlanNode,
  controller: AbortController,
  options: EngineOptions,
  images: Map<string, PreparedImage>,
): Promise<NodeResult> {
  const nodeDir = options.layout.nodeDir(options.store.runId, node);
  mkdirSync(nodeDir, { recursive: true });
  const { log, guestLog } = nodeLogs(node, nodeDir, controller, options);
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

  result = withAbortReason(result, controller.signal);
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
    sharedCachesDir: sharedCachesDir(options.layout.cacheDir, plan.source.repository, options.trust),
    network:
      node.network !== 'none' && !(options.trust.trusted === false && options.trust.network === 'none'),
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

/**
 * The folder of a job's named caches: `cache/shared/<repository>/<trusted|untrusted>/`. Untrusted runs write only
 * their own namespace and never read the trusted one; repositories sharing a machine never share caches.
 */
export function sharedCachesDir(cacheDir: string, repository: string | null, trust: TrustPolicy): string {
  const scope = (repository ?? 'local').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return join(cacheDir, 'shared', scope, trust.trusted ? 'trusted' : 'untrusted');
}
