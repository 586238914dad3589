import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as core from '@actions/core';
import { type LiveSink, prefixLines } from '../records/job-log.js';

/**
 * The Actions log, with workflow commands switched off whenever untrusted text (job output) flows: anything a
 * guest prints between `::stop-commands::<token>` and `::<token>::` is shown, never obeyed. Each stop uses a new
 * random token, so a job cannot guess how to switch commands back on. vmplan's own commands (groups,
 * annotations) go through `command`, which switches them on first.
 */
export class ActionsLog {
  private token: string | undefined;
  /** Warnings shown so far: they use up the runner's ten warning annotations per step. */
  warnings = 0;

  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  /** Writes untrusted text (whole lines) with commands stopped; resolves when the stream can take more. */
  untrusted(text: string): Promise<void> | undefined {
    if (this.token === undefined) {
      this.token = randomBytes(16).toString('hex');
      this.out.write(`::stop-commands::${this.token}\n`);
    }
    if (!this.out.write(text))
      return once(this.out as unknown as NodeJS.EventEmitter, 'drain').then(() => undefined);
    return undefined;
  }

  /** Runs `emit` (which writes workflow commands or vmplan's own lines) with commands switched on. */
  command(emit: () => void): void {
    this.resume();
    emit();
  }

  /** Shows a warning annotation, counted. */
  warning(message: string): void {
    this.warnings++;
    this.command(() => core.warning(message));
  }

  /**
   * Writes one plain line, with commands stopped like job output: vmplan's own lines often quote what a job
   * controls (file names, result messages, notes), and a plain line never needs to be obeyed. Line breaks in
   * the text cannot end the block: only the random token can.
   */
  line(text: string): void {
    void this.untrusted(`${text.replace(/\r?\n|\r/g, '\n')}\n`);
  }

  /** Switches commands back on (before the step ends, and before any command). */
  resume(): void {
    if (this.token === undefined) return;
    this.out.write(`::${this.token}::\n`);
    this.token = undefined;
  }

  /** A LiveSink for a job's output, with an optional prefix on each line. */
  sink(prefix: string): LiveSink {
    return { write: (text) => this.untrusted(prefixLines(text, prefix)) };
  }
}
