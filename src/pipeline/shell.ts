import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { guestNetwork, sharedCachesDir } from '../engine/run-node.js';
import { InputError } from '../errors.js';
import { runtimeOf } from '../executors/available.js';
import { isVmExecutor } from '../executors/catalog.js';
import type { JobOutcome, PreparedImage, RunWorkspace } from '../executors/contract.js';
import type { ExecutorSettings } from '../executors/descriptor.js';
import { HostImagePreparer } from '../images/preparer.js';
import { effectiveLimits } from '../plan/limits.js';
import type { ExecuteNode, Plan } from '../plan/schema.js';
import { secretValuesOf } from '../plan/secrets.js';
import type { TrustPolicy } from '../plan/trust.js';
import { JobLog, type LiveSink } from '../records/job-log.js';
import type { StateLayout } from '../records/layout.js';
import { readRunRecord } from '../records/store.js';
import { releaseLeases } from '../util/lease.js';
import { Masker } from '../util/mask.js';
import { didYouMean } from '../util/suggest.js';
import { copyTree } from '../workspace/copy-tree.js';
import { placeInputs } from '../workspace/inputs.js';
import { replayWorkspaceChanges } from '../workspace/replay-changes.js';

/** What `vmplan shell RUN JOB` needs: the run, the job, and where and how to boot it. */
export interface ShellRequest {
  layout: StateLayout;
  runId: string;
  plan: Plan;
  job: string;
  env: NodeJS.ProcessEnv;
  /** Where relative image paths start (the repository the run was made from). */
  repositoryRoot: string;
  executors: Pick<ExecutorSettings, 'base' | 'options'>;
  /** vmplan's own lines (what the shell starts from), shown before the VM's console takes the terminal. */
  live: LiveSink;
  verbose: boolean;
  /** Aborted (a signal to vmplan): the VM is stopped and everything cleaned up as for a job. */
  signal: AbortSignal;
}

/** The VM job of a run that a shell can open, or an InputError saying why not. */
export function shellableJob(plan: Plan, runId: string, job: string): ExecuteNode {
  const jobs = plan.nodes.flatMap((node) => (node.kind === 'execute' ? [node] : []));
  const node = jobs.find((candidate) => candidate.job === job);
  if (node === undefined)
    throw new InputError(
      `run ${runId} has no job "${job}"${didYouMean(
        job,
        jobs.map((each) => each.job),
      )}`,
    );
  if (!isVmExecutor(node.executor) || node.image === null)
    throw new InputError(
      `job "${job}" ran with the ${node.executor} executor, on this machine: vmplan shell opens a job's VM, so only VM jobs (vfkit, qemu) have one`,
    );
  return node;
}

/**
 * Boots the VM of a run's job again with its workspace as the job had it (see jobShellWorkspace), the job's user,
 * env (without its secrets), caches and network, and gives an interactive shell on this terminal. Everything it
 * makes lives in a temporary folder of the run (`runs/<run>/shell-*`), removed when the shell ends.
 */
export async function openJobShell(request: ShellRequest): Promise<JobOutcome> {
  const { layout, runId, plan, job, env } = request;
  const node = shellableJob(plan, runId, job);
  const record = readRunRecord(layout, runId);
  const snapshotDir = layout.snapshotDir(record.snapshotRun);
  if (!existsSync(snapshotDir))
    throw new InputError(
      `run ${runId} has no snapshot left (was it garbage-collected?): no workspace to open`,
    );
  const prepare = plan.nodes.find((each) => each.kind === 'prepare' && each.image === node.image);
  if (prepare === undefined || prepare.kind !== 'prepare')
    throw new InputError(`run ${runId}'s plan has no image "${node.image}" for job "${job}"`);
  const trust = recordedTrust(plan);
  const masker = new Masker(secretValuesOf(plan, env));
  const jobDir = layout.nodeDir(runId, node);
  const shellDir = mkdtempSync(join(layout.runDir(runId), `shell-${process.pid}-`));
  const log = new JobLog(join(shellDir, 'host.log'), masker, request.live, request.verbose);
  try {
    const executor = (await runtimeOf(node.executor)).create({
      env,
      cacheDir: layout.cacheDir,
      ...request.executors,
    });
    await executor.preflight?.(plan);
    const image = await prepareImage(request, prepare, shellDir, masker);
    // A failed job's root disk kept by --keep-failed-disks is its VM as it ended: boot (a clone of) that.
    const keptDisk = join(jobDir, 'disk.img');
    const disk = image.disk !== null && existsSync(keptDisk) ? keptDisk : image.disk;
    if (disk !== image.disk) await log.note(`vmplan: the job's kept root disk: ${keptDisk}`);
    const workspace = jobShellWorkspace(request, node, snapshotDir, jobDir, log);
    return await executor.runJob({
      runId,
      plan,
      node,
      jobDir: join(shellDir, 'job'),
      cacheDir: layout.cacheDir,
      hostWorkspaces: [],
      sharedCachesDir: sharedCachesDir(layout.cacheDir, plan.source.repository, trust),
      network: guestNetwork(node, trust),
      workspace,
      image: { ...image, disk },
      secrets: {},
      runSecrets: secretValuesOf(plan, env),
      signal: request.signal,
      log,
      guestLog: undefined,
      killGraceMs: () => 2_000,
      onProcess: () => {},
      inputs: [],
      limits: effectiveLimits(node.limits, trust.trusted),
      shell: true,
    });
  } finally {
    await log.close().catch(() => undefined);
    rmSync(shellDir, { recursive: true, force: true });
    releaseLeases();
  }
}

/** The run's trust, as its plan recorded it: an untrusted run's image is never built here, nor is it networked. */
function recordedTrust(plan: Plan): TrustPolicy {
  return plan.trust.trusted
    ? { trusted: true, reason: plan.trust.reason, imagePaths: [] }
    : { trusted: false, reason: plan.trust.reason, imagePaths: [], network: 'none' };
}

/** The job's image, as the run prepared it (from the image cache, or its files where the jobs file says). */
async function prepareImage(
  request: ShellRequest,
  node: Extract<Plan['nodes'][number], { kind: 'prepare' }>,
  shellDir: string,
  masker: Masker,
): Promise<PreparedImage> {
  const nodeDir = join(shellDir, 'image');
  mkdirSync(nodeDir, { recursive: true });
  const log = new JobLog(join(nodeDir, 'host.log'), masker, request.live, request.verbose);
  try {
    const preparer = new HostImagePreparer(request.layout.cacheDir, request.env, {
      buildOnHost: request.plan.trust.trusted,
    });
    const outcome = await preparer.prepare({
      runId: request.runId,
      plan: request.plan,
      node,
      nodeDir,
      repositoryRoot: request.repositoryRoot,
      signal: request.signal,
      log,
      killGraceMs: () => 2_000,
      onProcess: () => {},
    });
    if (outcome.status !== 'passed' || outcome.image === undefined)
      throw new InputError(
        `image "${node.image}" cannot be prepared: ${outcome.message ?? 'unknown reason'}`,
      );
    return outcome.image;
  } finally {
    await log.close().catch(() => undefined);
  }
}

/**
 * The workspace a shell gets, as the job had it, always as a private copy (nothing done in the shell reaches the
 * run): the job's own workspace when it kept one (workspace mode `copy`), else the snapshot the job ran on with the
 * outputs of the jobs it needs placed as the job got them and, for a `writable-workspace` job, the changes it
 * brought back replayed on top. An overlay job's other changes lived in its VM's memory and are gone.
 */
function jobShellWorkspace(
  request: ShellRequest,
  node: ExecuteNode,
  snapshotDir: string,
  jobDir: string,
  log: JobLog,
): RunWorkspace {
  const kept = join(jobDir, 'workspace');
  return {
    snapshotDir,
    async jobCopy(target) {
      const started = performance.now();
      if (existsSync(kept)) {
        const stats = await copyTree(kept, target);
        await log.note("vmplan: shell workspace: the job's own workspace copy, as it left it");
        return { ms: stats.ms, method: stats.method };
      }
      const stats = await copyTree(snapshotDir, target);
      const inputs = (node.receives ?? []).map((received) => ({
        from: received.from,
        folder: join(request.layout.runDir(received.run ?? request.runId), 'jobs', received.from, 'outputs'),
      }));
      const present = inputs.filter((input) => existsSync(input.folder));
      if (present.length > 0) await placeInputs(present, target);
      const replayed = await replayWorkspaceChanges(target, {
        folder: join(jobDir, 'workspace-changes'),
        deletedList: existsSync(join(jobDir, 'workspace-deleted.txt'))
          ? join(jobDir, 'workspace-deleted.txt')
          : undefined,
      });
      const changes =
        replayed.changed + replayed.deleted > 0
          ? `, with the job's recorded changes (${replayed.changed} changed, ${replayed.deleted} deleted)`
          : '';
      const outputs =
        present.length > 0 ? `, the outputs of ${present.map((input) => input.from).join(', ')}` : '';
      await log.note(`vmplan: shell workspace: the snapshot the job ran on${outputs}${changes}`);
      return { ms: Math.round(performance.now() - started), method: stats.method };
    },
  };
}
