import type { Executor as ExecutorName } from '../config/schema.js';
import type { AbortReason, JobExecutor, PreparedImage, RunWorkspace } from '../executors/contract.js';
import type { ImagePreparer } from '../images/contract.js';
import type { Plan, PlanNode } from '../plan/schema.js';
import type { TrustPolicy } from '../plan/trust.js';
import type { LiveSink } from '../records/job-log.js';
import type { StateLayout } from '../records/layout.js';
import {
  type Attempt,
  type NodeRecord,
  type NodeStatus,
  phasesFrom,
  type RunStatus,
} from '../records/schema.js';
import type { RunStore } from '../records/store.js';
import type { Masker } from '../util/mask.js';
import { type NodeResult, runNode } from './run-node.js';
import { type Capacity, Scheduler, type SkipDecision } from './scheduler.js';

/** Reports what the engine does, as it does it (the CLI prints lines; the action writes groups). */
export interface ProgressReporter {
  nodeStarted(node: PlanNode): void;
  nodeFinished(node: PlanNode, record: NodeRecord): void;
  /** A job's attempt ended as its retry-on says: it runs again (of at most `of` attempts). */
  nodeRetrying?(node: PlanNode, attempt: Attempt, of: number): void;
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
  /** What the run may do: decides the jobs' cache namespace and whether guests get a network. */
  trust: TrustPolicy;
  /** Show details live too (VM command lines, the VM process's own output); they are always in host.log. */
  verbose?: boolean;
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
  return new PlanRun(plan, options).run();
}

/** One run of a plan's nodes: what runs, what failed first, and the loop that starts what may start. */
class PlanRun {
  private readonly scheduler: Scheduler;
  private readonly images = new Map<string, PreparedImage>();
  private readonly running = new Map<string, Running>();
  private readonly byId: Map<string, PlanNode>;
  /** The first failure, for the run's message. */
  private failure: string | undefined;
  /** An error of the engine itself (a record that cannot be written) while nodes run. */
  private engineError: unknown;
  private wake: () => void = () => undefined;
  private readonly onRunAbort = () => this.abortRun();

  constructor(
    private readonly plan: Plan,
    private readonly options: EngineOptions,
  ) {
    this.scheduler = new Scheduler(plan.nodes, options.capacity);
    this.byId = new Map(plan.nodes.map((node) => [node.id, node]));
  }

  async run(): Promise<{ status: RunStatus; message: string | null }> {
    const { signal } = this.options;
    if (signal.aborted) this.abortRun();
    else signal.addEventListener('abort', this.onRunAbort, { once: true });
    try {
      await this.loop();
    } catch (error) {
      // Never leave jobs running behind a failed engine: stop them, wait (bounded by their grace), then fail.
      this.failEngine(error);
      await Promise.all([...this.running.values()].map((entry) => entry.done));
      throw this.engineError;
    } finally {
      signal.removeEventListener('abort', this.onRunAbort);
    }
    return this.outcome();
  }

  /** Starts what may start, then sleeps until something ends, until every node is done. */
  private async loop(): Promise<void> {
    for (;;) {
      if (this.engineError !== undefined) throw this.engineError;
      for (const node of this.scheduler.takeStartable()) this.start(node);
      if (this.scheduler.done && this.running.size === 0) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private start(node: PlanNode): void {
    const controller = new AbortController();
    this.options.store.start(node.id);
    this.options.progress.nodeStarted(node);
    const done = runNode(this.plan, node, controller, this.options, this.images)
      .then((result) => this.finished(node, result))
      .catch((error) => this.failEngine(error));
    this.running.set(node.id, { node, controller, done });
  }

  /** Records a node's end, skips what can no longer run, and applies fail-fast. */
  private finished(node: PlanNode, result: NodeResult): void {
    const { store, progress } = this.options;
    this.running.delete(node.id);
    if (this.engineError !== undefined) return;
    const startedAt = store.node(node.id).startedAt;
    store.finishNode(node.id, result.status, {
      exitCode: result.exitCode,
      message: result.message,
      cached: result.cached,
      ...(result.attempts === undefined ? {} : { attempts: result.attempts }),
      ...(result.phases === undefined || startedAt === null
        ? {}
        : { phases: phasesFrom(result.phases, startedAt) }),
    });
    progress.nodeFinished(node, store.node(node.id));
    this.finishSkipped(this.scheduler.complete(node.id, result.status));
    if (result.status === 'failed' || result.status === 'timed_out') {
      const label = node.kind === 'execute' ? `"${node.job}"` : `image "${node.image}"`;
      const what = `${label} ${result.status === 'timed_out' ? 'timed out' : 'failed'}`;
      this.failure ??= what;
      // A variant of a matrix that says fail-fast: false fails alone (as on GitHub).
      const alone = node.kind === 'execute' && node.matrix?.failFast === false;
      if (this.options.failFast && !alone && !this.options.signal.aborted) {
        this.finishSkipped(this.scheduler.stop(`fail-fast after ${what}`));
        this.cancelAll(`fail-fast after ${what}`);
      }
    }
    this.wake();
  }

  private finishSkipped(decisions: SkipDecision[], status: NodeStatus = 'skipped'): void {
    const { store, progress } = this.options;
    for (const decision of decisions) {
      store.finishNode(decision.nodeId, status, { message: decision.message });
      const node = this.byId.get(decision.nodeId)!;
      progress.nodeFinished(node, store.node(node.id));
    }
  }

  private cancelAll(message: string): void {
    for (const entry of this.running.values()) {
      if (!entry.controller.signal.aborted)
        entry.controller.abort({ kind: 'cancel', message } satisfies AbortReason);
    }
  }

  /** The run was cancelled (a signal): nothing new starts, what runs is stopped. */
  private abortRun(): void {
    const message = String(this.options.signal.reason ?? 'vmplan was stopped');
    this.finishSkipped(
      this.scheduler.stop(message).map((decision) => ({ ...decision, message })),
      'cancelled',
    );
    this.cancelAll(message);
    this.wake();
  }

  private failEngine(error: unknown): void {
    this.engineError ??= error;
    this.cancelAll(`vmplan error: ${(error as Error).message ?? String(error)}`);
    this.wake();
  }

  private outcome(): { status: RunStatus; message: string | null } {
    const { signal, store } = this.options;
    if (signal.aborted)
      return { status: 'cancelled', message: String(signal.reason ?? 'vmplan was stopped') };
    const jobs = store.allNodes().filter((record) => record.kind === 'execute');
    if (jobs.every((record) => record.status === 'passed') && this.failure === undefined)
      return { status: 'passed', message: null };
    const notPassed = jobs.filter((record) => record.status !== 'passed').length;
    return {
      status: 'failed',
      message: `${this.failure ?? 'a job did not pass'}; ${notPassed} of ${jobs.length} job(s) did not pass`,
    };
  }
}
