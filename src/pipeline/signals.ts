import { loadedRuntimeOf } from '../executors/available.js';
import { processGroupLeftovers } from '../process/ownership.js';
import type { StateLayout } from '../records/layout.js';
import type { RunStore } from '../records/store.js';

/** How a caller words signals: the reason jobs are cancelled, and what to say at once (the CLI's stderr line). */
export interface SignalWording {
  reason(signal: NodeJS.Signals): string;
  announce?(signal: NodeJS.Signals): void;
}

/** Exit code of a process stopped by a signal (128 + its number). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : 143;
}

/**
 * SIGINT/SIGTERM and process exit while a run is going: the first signal aborts the run (every job is stopped
 * and the records end terminal); a second one, or the process exiting before the run finished (a crash), kills
 * what runs at once (jobs run in process groups of their own and would outlive vmplan) and finishes the records.
 */
export class RunSignals {
  /** Aborted by the first signal. */
  readonly controller = new AbortController();
  /** The first signal received, if any. */
  signalled: NodeJS.Signals | undefined;
  private store: RunStore | undefined;
  private readonly onSignal = (signal: NodeJS.Signals) => this.received(signal);
  private readonly onExit = () => {
    this.killWhatRuns();
    finishQuietly(this.store, 'vmplan exited before the run finished');
  };

  constructor(
    private readonly layout: StateLayout,
    private readonly wording: SignalWording,
  ) {}

  /** Starts listening. */
  install(): void {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    process.on('exit', this.onExit);
  }

  /** Stops listening (the run is over). */
  uninstall(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    process.off('exit', this.onExit);
  }

  /** The run's records, once they exist (so an exit can finish them). */
  attach(store: RunStore): void {
    this.store = store;
  }

  private received(signal: NodeJS.Signals): void {
    if (this.signalled !== undefined) {
      // A second signal: kill what runs, finish the records now and leave.
      this.killWhatRuns();
      finishQuietly(this.store, `received ${this.signalled}, then ${signal}`);
      process.exit(signalExitCode(signal));
    }
    this.signalled = signal;
    this.wording.announce?.(signal);
    this.controller.abort(this.wording.reason(signal));
  }

  /** SIGKILLs every process group the records say is running (only those still proven to be the run's). */
  private killWhatRuns(): void {
    const store = this.store;
    if (store === undefined || store.finished) return;
    for (const node of store.allNodes()) {
      if (node.status !== 'running' || node.process === null || node.process === undefined) continue;
      const runtime = loadedRuntimeOf(node.executor) ?? processGroupLeftovers;
      runtime.killLeftoversNow(node.process, this.layout.runDir(store.runId));
    }
  }
}

/** Ends a run as cancelled while vmplan is leaving; a record that cannot be written must not change how it leaves. */
function finishQuietly(store: RunStore | undefined, message: string): void {
  try {
    store?.finish('cancelled', message);
  } catch (error) {
    process.stderr.write(`vmplan: a record could not be written: ${(error as Error).message}\n`);
  }
}
