import type { RunningProcess } from '../executors/descriptor.js';
import type { JobLimits } from '../plan/limits.js';
import type { ExecuteNode, Plan } from '../plan/schema.js';
import type { JobLog } from '../records/job-log.js';
import type { TimedPhase } from '../records/schema.js';

/** Why a node's abort signal fired: its own timeout, or the run being cancelled (signal, fail-fast). */
export type AbortReason =
  | { kind: 'timeout'; minutes: number }
  | { kind: 'cancel'; message: string }
  /** vmplan itself could not go on with the job (its log cannot be written): the job fails. */
  | { kind: 'infrastructure'; message: string };

/** The run's workspace: the one snapshot of the repository every job starts from. */
export interface RunWorkspace {
  /** Folder of the run's snapshot (never written by jobs). */
  readonly snapshotDir: string;
  /** Gives a job its own writable copy of the snapshot (clone where the filesystem can). */
  jobCopy(target: string): Promise<{ ms: number; method: 'clone' | 'copy' }>;
}

/** A prepared guest image: the files a VM boots from. */
export interface PreparedImage {
  name: string;
  arch: 'arm64' | 'amd64';
  kernel: string;
  initrd: string;
  disk: string | null;
  cmdline: string | null;
}

/** Everything an executor gets to run one job. */
export interface JobContext {
  runId: string;
  plan: Plan;
  node: ExecuteNode;
  /** The job's folder (runs/<runId>/jobs/<job>): logs, result, artifacts. */
  jobDir: string;
  /** The state folder's cache/ (images, caches shared across runs). */
  cacheDir: string;
  /** Where a host job's workspace may go, best first (StateLayout.hostWorkspaceCandidates). */
  hostWorkspaces: readonly string[];
  /**
   * Where this job's named caches live: a namespace of the repository and the run's trust, so what an untrusted
   * run writes is never read by a trusted one.
   */
  sharedCachesDir: string;
  /** False when the guest gets no network device (the job asks for `network: none`, or the trust policy does). */
  network: boolean;
  workspace: RunWorkspace;
  /** The prepared image for VM jobs. */
  image: PreparedImage | undefined;
  /** Values of the secrets the job names, read from the environment. Never written anywhere unmasked. */
  secrets: Record<string, string>;
  /** Every secret value of the run (not only this job's): masked in whatever the job leaves behind. */
  runSecrets: readonly string[];
  /** Aborted on timeout or cancellation; `signal.reason` is an AbortReason. The executor must stop everything. */
  signal: AbortSignal;
  /** The job's host.log (and live output). */
  log: JobLog;
  /** The job's guest.log (and live output), for jobs that run in a VM. */
  guestLog: JobLog | undefined;
  /** How long to wait after a polite stop before forcing (read when stopping: timeouts get more than cancels). */
  killGraceMs: () => number;
  /** Records what runs for the job, so it can be stopped even if vmplan dies. */
  onProcess: (process: RunningProcess) => void;
  /**
   * The outputs of the jobs it needs (plan `receives`), in plan order: each a folder holding the paths that job
   * kept, to put in this job's workspace read-only at the same paths.
   */
  inputs: readonly { from: string; folder: string }[];
  /** What the job may bring back and log (the plan's caps under the run's trust); the defaults when absent. */
  limits?: JobLimits;
  /**
   * `vmplan shell`: instead of its command, the job's VM gives an interactive shell on this process's terminal
   * (VM executors only). No secret reaches the guest, nothing is collected, and the workspace is always the job's
   * own copy (workspace.jobCopy).
   */
  shell?: boolean;
}

/** What an executor reports about a job. The engine overrides the status when the job was aborted. */
export interface JobOutcome {
  /** `timed_out` when the guest itself stopped the job at its timeout. */
  status: 'passed' | 'failed' | 'timed_out';
  exitCode: number | null;
  message: string | null;
  /** A failure of the machine under the job, not of its command: the VM did not boot or died, no result came back. */
  infrastructure?: boolean;
  /** Where the job's time went, in order (host clock, epoch milliseconds); see `PHASE_NAMES` in records. */
  phases?: TimedPhase[];
}

/** Runs execute nodes somewhere: on the host or in a VM (see the executor table, src/executors/table.ts). */
export interface JobExecutor {
  readonly name: string;
  /** Checks the machine can run this executor's nodes; throws an InputError saying what to fix. */
  preflight?(plan: Plan): Promise<void>;
  /** Runs one job to its end (or until its signal aborts and everything is stopped). */
  runJob(context: JobContext): Promise<JobOutcome>;
}
