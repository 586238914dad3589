import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Masker } from '../util/mask.js';

/** Longest line kept whole; longer ones are cut so memory stays bounded whatever a job prints. */
export const MAX_LINE_CHARS = 64 * 1024;

/** Where live job output goes besides the log file (the console, the Actions log). */
export interface LiveSink {
  /** Whole, masked lines of one job, each ending in "\n". Resolve when the text may be written again (backpressure). */
  write(text: string): Promise<void> | void;
}

/**
 * One node's log: splits the output of its processes into lines, masks secrets, appends them to the log file
 * and forwards them live. Writes wait for both destinations to drain, so a job printing gigabytes is slowed
 * down to the speed of the slowest reader instead of filling memory.
 */
export class JobLog {
  private readonly file: WriteStream;
  private closed = false;
  /** Why the log file cannot be written any more (a full disk), once that happened. */
  private failure: NodeJS.ErrnoException | undefined;

  constructor(
    path: string,
    private readonly masker: Masker,
    private readonly live: LiveSink | undefined,
    /** Whether details (command lines, VM process chatter) are shown live too, not only written to the file. */
    private readonly verbose = false,
    /** Told once when the file cannot be written (ENOSPC, EIO): further lines go live only. */
    private readonly onFailure?: (error: NodeJS.ErrnoException) => void,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.file = createWriteStream(path, { flags: 'a' });
    this.file.on('error', (error) => this.fail(error));
  }

  private fail(error: NodeJS.ErrnoException): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.file.destroy();
    this.onFailure?.(error);
  }

  /** Masks secret values in a text that did not come through the log (e.g. a message from the guest). */
  mask(text: string): string {
    return this.masker.mask(text);
  }

  /** A Writable for one output stream (stdout or stderr) of a process. */
  input(): Writable {
    return this.lineWriter(true);
  }

  /**
   * A Writable for a helper process whose output is detail (a VM process's own chatter): kept in the log file,
   * shown live only when verbose.
   */
  detailInput(): Writable {
    return this.lineWriter(this.verbose);
  }

  private lineWriter(live: boolean): Writable {
    const decoder = new StringDecoder('utf8');
    let partial = '';
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        partial += decoder.write(chunk);
        const lines: string[] = [];
        let newline = partial.indexOf('\n');
        while (newline !== -1) {
          lines.push(partial.slice(0, newline).replace(/\r$/, ''));
          partial = partial.slice(newline + 1);
          newline = partial.indexOf('\n');
        }
        // Cut over-long lines, never inside a secret value (each piece is masked on its own).
        while (partial.length > MAX_LINE_CHARS + this.masker.longest) {
          let cut = this.masker.safeCut(partial, MAX_LINE_CHARS);
          // Nor between the two halves of a character beyond 16 bits (an emoji): each half alone is written as �.
          if (cut > 1 && isHighSurrogate(partial.charCodeAt(cut - 1))) cut--;
          lines.push(partial.slice(0, cut));
          partial = partial.slice(cut);
        }
        this.writeLines(lines, live).then(() => callback(), callback);
      },
      final: (callback) => {
        partial += decoder.end();
        const rest = partial === '' ? [] : [partial];
        partial = '';
        this.writeLines(rest, live).then(() => callback(), callback);
      },
    });
  }

  /** Adds lines of vmplan's own (e.g. why a job was stopped) to the log and the live output. */
  async note(text: string): Promise<void> {
    await this.writeLines(text.split('\n'), true);
  }

  /** Adds lines of detail (e.g. the full VM command line) to the log file; live output shows them when verbose. */
  async detail(text: string): Promise<void> {
    await this.writeLines(text.split('\n'), this.verbose);
  }

  /** Flushes and closes the log file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.failure !== undefined) return;
    const ended = new Promise<void>((resolve) => {
      this.file.once('finish', resolve);
      this.file.once('close', resolve);
    });
    this.file.end();
    await ended;
  }

  private async writeLines(lines: string[], showLive: boolean): Promise<void> {
    if (lines.length === 0 || this.closed) return;
    const text = `${lines.map((line) => this.masker.mask(line)).join('\n')}\n`;
    const waits: Promise<unknown>[] = [];
    if (this.failure === undefined && !this.file.write(text)) waits.push(drainedOrGone(this.file));
    const live = showLive ? this.live?.write(text) : undefined;
    if (live !== undefined) waits.push(live);
    await Promise.all(waits);
  }
}

/** Whether a UTF-16 code unit is the first half of a surrogate pair. */
function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

/** Puts `prefix` before every line of a text of whole lines. */
export function prefixLines(text: string, prefix: string): string {
  if (prefix === '') return text;
  const lines = text.slice(0, -1).split('\n');
  return `${lines.map((line) => `${prefix}${line}`).join('\n')}\n`;
}

/** A LiveSink writing to a stream (e.g. process.stdout) with a prefix on every line, honouring backpressure. */
export function streamSink(stream: NodeJS.WritableStream, prefix: string): LiveSink {
  return { write: (text) => writeOrWait(stream, prefixLines(text, prefix)) };
}

/**
 * Writes to a stream; returns a promise when the caller should wait before writing more (backpressure). A reader
 * that went away (`| head`) ends the output quietly; whatever writes goes on.
 */
export function writeOrWait(stream: NodeJS.WritableStream, text: string): Promise<void> | undefined {
  if ((stream as { destroyed?: boolean }).destroyed === true) return undefined;
  return stream.write(text) ? undefined : drainedOrGone(stream);
}

/** Resolves when the stream can take more, or will never (closed, failed). */
function drainedOrGone(stream: NodeJS.WritableStream): Promise<void> {
  const emitter = stream as unknown as NodeJS.EventEmitter;
  return new Promise((resolve) => {
    const done = () => {
      emitter.off('drain', done);
      emitter.off('close', done);
      emitter.off('error', done);
      resolve();
    };
    emitter.once('drain', done);
    emitter.once('close', done);
    emitter.once('error', done);
  });
}
