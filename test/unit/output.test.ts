import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { JobLog, MAX_LINE_CHARS, prefixLines, streamSink, writeOrWait } from '../../src/records/job-log.js';
import { Masker } from '../../src/util/mask.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-log-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('Masker', () => {
  it('masks every occurrence, longest secrets first, and multi-line secrets line by line', () => {
    const masker = new Masker(['abc123', 'abc123-long', 'line one\nline two', '', '   ']);
    expect(masker.mask('x abc123-long y abc123 z')).toBe('x *** y *** z');
    expect(masker.mask('got line two here')).toBe('got *** here');
    expect(new Masker(['', ' ']).empty).toBe(true);
  });

  it('masks a secret printed several times on one line, and next to itself', () => {
    const masker = new Masker(['tok-9f8e7d']);
    expect(masker.mask('a tok-9f8e7d b tok-9f8e7d c tok-9f8e7d')).toBe('a *** b *** c ***');
    expect(masker.mask('tok-9f8e7dtok-9f8e7d')).toBe('******');
  });
});

describe('Masker.safeCut', () => {
  it("cuts where asked unless a secret straddles the cut, then at the secret's start", () => {
    const masker = new Masker(['SECRET']);
    const text = 'xxxxSECRETyyyyyyyy';
    expect([3, 4, 5, 9, 10, 11].map((at) => masker.safeCut(text, at))).toEqual([3, 4, 4, 4, 10, 11]);
  });

  it('moves again when the new cut splits another secret', () => {
    const masker = new Masker(['abcd', 'cdef']);
    expect(masker.safeCut('xxabcdefyyyy', 6)).toBe(2);
    expect(masker.safeCut('xxabcdefyyyy', 8)).toBe(8);
  });

  it('cuts where asked when a secret would move the cut to the very start', () => {
    expect(new Masker(['SECRET']).safeCut('SECRETxxxxxx', 3)).toBe(3);
    expect(new Masker(['SECRET']).safeCut('xSECRETxxxxx', 3)).toBe(1);
  });

  it('masks the lines of a multi-line secret but never a blank or whitespace line of it', () => {
    const masker = new Masker(['first-line\n   \n\nlast-line']);
    expect(masker.longest).toBe('first-line\n   \n\nlast-line'.length);
    expect(masker.mask('a first-line b\n   \nlast-line')).toBe('a *** b\n   \n***');
    expect(masker.mask('x   y')).toBe('x   y');
    expect(new Masker([]).longest).toBe(0);
  });
});

describe('JobLog', () => {
  it('splits chunks into lines, masks across chunk boundaries, and forwards whole lines live', async () => {
    const path = join(folder, 'a.log');
    const live: string[] = [];
    const log = new JobLog(path, new Masker(['s3cret']), { write: (text) => void live.push(text) });
    // The secret is split across two chunks, and the last line has no newline.
    await pipeline(
      Readable.from([Buffer.from('hello s3'), Buffer.from('cret world\r\nsecond'), Buffer.from(' line')]),
      log.input(),
    );
    await log.note('vmplan: done');
    await log.close();
    expect(readFileSync(path, 'utf8')).toBe('hello *** world\nsecond line\nvmplan: done\n');
    expect(live.join('')).toBe('hello *** world\nsecond line\nvmplan: done\n');
    expect(live.every((text) => text.endsWith('\n'))).toBe(true);
  });

  it('keeps multi-byte characters whole when a chunk splits them', async () => {
    const path = join(folder, 'b.log');
    const log = new JobLog(path, new Masker([]), undefined);
    const bytes = Buffer.from('ünïcødé ✔\n');
    await pipeline(
      Readable.from([bytes.subarray(0, 1), bytes.subarray(1, 5), bytes.subarray(5)]),
      log.input(),
    );
    await log.close();
    expect(readFileSync(path, 'utf8')).toBe('ünïcødé ✔\n');
  });

  it('never cuts an endless line inside a secret, wherever the secret falls', async () => {
    const secret = 'hunter2-token';
    for (const offset of [secret.length - 1, 5, 1]) {
      const path = join(folder, `secret-${offset}.log`);
      const log = new JobLog(path, new Masker([secret]), undefined);
      // The secret straddles the point where the line is cut, and arrives split across chunks.
      const text = `${'x'.repeat(MAX_LINE_CHARS - offset)}${secret}${'y'.repeat(MAX_LINE_CHARS)}`;
      const bytes = Buffer.from(text);
      await pipeline(
        Readable.from([bytes.subarray(0, MAX_LINE_CHARS - 2), bytes.subarray(MAX_LINE_CHARS - 2)]),
        log.input(),
      );
      await log.close();
      const written = readFileSync(path, 'utf8');
      expect(written).not.toContain('hunter');
      expect(written).not.toContain('token');
      expect(written.replace(/\n/g, '')).toBe(text.replace(secret, '***'));
    }
  });

  it('never cuts an endless line between the two halves of a character (an emoji), nor moves a cut for others', async () => {
    // The first and last characters beyond 16 bits, an emoji, and the 16-bit ones on either side of the halves.
    const cases: [string, number][] = [
      ['\u{10000}', MAX_LINE_CHARS - 1],
      ['😀', MAX_LINE_CHARS - 1],
      ['\u{10FFFD}', MAX_LINE_CHARS - 1],
      ['\uD7FF', MAX_LINE_CHARS],
      ['\uE000', MAX_LINE_CHARS],
    ];
    for (const [character, firstLine] of cases) {
      const path = join(folder, `wide-${character.codePointAt(0)}.log`);
      const log = new JobLog(path, new Masker([]), undefined);
      const text = `${'x'.repeat(MAX_LINE_CHARS - 1)}${character}${'y'.repeat(MAX_LINE_CHARS)}`;
      await pipeline(Readable.from([Buffer.from(text)]), log.input());
      await log.close();
      const lines = readFileSync(path, 'utf8').split('\n');
      expect(lines[0]!.length).toBe(firstLine);
      expect(lines.every((line) => line.length <= MAX_LINE_CHARS)).toBe(true);
      expect(lines.join('') === text).toBe(true);
    }
  });

  it('cuts endless lines so memory stays bounded', async () => {
    const path = join(folder, 'c.log');
    const log = new JobLog(path, new Masker([]), undefined);
    await pipeline(Readable.from([Buffer.alloc(MAX_LINE_CHARS * 2 + 10, 'x')]), log.input());
    await log.close();
    expect(
      readFileSync(path, 'utf8')
        .split('\n')
        .map((line) => line.length),
    ).toEqual([MAX_LINE_CHARS, MAX_LINE_CHARS, 10, 0]);
  });

  it('waits for a slow live reader (backpressure) instead of buffering', async () => {
    const path = join(folder, 'd.log');
    let pending = 0;
    let maxPending = 0;
    const log = new JobLog(path, new Masker([]), {
      write: () => {
        pending++;
        maxPending = Math.max(maxPending, pending);
        return new Promise<void>((resolve) =>
          setTimeout(() => {
            pending--;
            resolve();
          }, 1),
        );
      },
    });
    await pipeline(
      Readable.from(Array.from({ length: 50 }, (_, i) => Buffer.from(`line ${i}\n`))),
      log.input(),
    );
    await log.close();
    expect(maxPending).toBe(1);
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(51);
  });

  it('keeps details in the file and shows them live only when verbose; vmplan notes always show', async () => {
    for (const verbose of [false, true]) {
      const path = join(folder, `detail-${verbose}.log`);
      const live: string[] = [];
      const log = new JobLog(path, new Masker(['pw1']), { write: (text) => void live.push(text) }, verbose);
      await log.detail('qemu -m 512 pw1\nsecond');
      await pipeline(Readable.from([Buffer.from('vm chatter pw1\n')]), log.detailInput());
      await pipeline(Readable.from([Buffer.from('job says pw1\n')]), log.input());
      await log.note('vmplan: stopping');
      await log.close();
      expect(readFileSync(path, 'utf8')).toBe(
        'qemu -m 512 ***\nsecond\nvm chatter ***\njob says ***\nvmplan: stopping\n',
      );
      expect(live.join('')).toBe(
        verbose
          ? 'qemu -m 512 ***\nsecond\nvm chatter ***\njob says ***\nvmplan: stopping\n'
          : 'job says ***\nvmplan: stopping\n',
      );
    }
  });

  it('masks secrets in text that reaches it another way (a message from the guest)', () => {
    const log = new JobLog(join(folder, 'mask.log'), new Masker(['s3cret']), undefined);
    expect(log.mask('guest says: s3cret\nagain s3cret')).toBe('guest says: ***\nagain ***');
    return log.close();
  });

  it('shows details live only when asked: a log made without saying so keeps them in the file', async () => {
    const path = join(folder, 'detail-default.log');
    const live: string[] = [];
    const log = new JobLog(path, new Masker([]), { write: (text) => void live.push(text) });
    await log.detail('qemu-system-aarch64 -m 512');
    await pipeline(Readable.from([Buffer.from('vm chatter\n')]), log.detailInput());
    await log.note('vmplan: stopping');
    await log.close();
    expect(readFileSync(path, 'utf8')).toBe('qemu-system-aarch64 -m 512\nvm chatter\nvmplan: stopping\n');
    expect(live).toEqual(['vmplan: stopping\n']);
  });

  it('strips only a carriage return that ends a line, and writes nothing after close', async () => {
    const path = join(folder, 'cr.log');
    const live: string[] = [];
    const failures: unknown[] = [];
    const log = new JobLog(path, new Masker([]), { write: (text) => void live.push(text) }, false, (error) =>
      failures.push(error),
    );
    await pipeline(Readable.from([Buffer.from('a\rb\r\n\r\n')]), log.input());
    await log.close();
    await log.close();
    // A line after the job ended (a late note) goes nowhere: not live, and not into the closed file — where it
    // would fail the write and be taken for a log that cannot be written (the job's infrastructure problem).
    await log.note('too late');
    await new Promise((resolve) => setImmediate(resolve));
    expect(readFileSync(path, 'utf8')).toBe('a\rb\n\n');
    expect(live.join('')).toBe('a\rb\n\n');
    expect(failures).toEqual([]);
  });

  it('cuts a line only once it is longer than the limit', async () => {
    const path = join(folder, 'exact.log');
    const log = new JobLog(path, new Masker([]), undefined);
    await pipeline(Readable.from([Buffer.alloc(MAX_LINE_CHARS, 'x'), Buffer.from('\n')]), log.input());
    await log.close();
    expect(readFileSync(path, 'utf8')).toBe(`${'x'.repeat(MAX_LINE_CHARS)}\n`);
  });

  it('when the file cannot be written (a full disk), says so once and keeps the live output going', async () => {
    const failures: string[] = [];
    const live: string[] = [];
    const log = new JobLog(
      '/dev/full',
      new Masker([]),
      { write: (text) => void live.push(text) },
      false,
      (error) => failures.push(error.code ?? ''),
    );
    await log.note('first');
    await log.note('second');
    await pipeline(Readable.from([Buffer.from('third\n')]), log.input());
    await log.close();
    expect(failures).toEqual(['ENOSPC']);
    expect(live.join('')).toBe('first\nsecond\nthird\n');
  });
});

describe('live sinks', () => {
  it('prefixes every line of a text of whole lines, and leaves it alone without a prefix', () => {
    expect(prefixLines('a\nb\n', '[unit] ')).toBe('[unit] a\n[unit] b\n');
    expect(prefixLines('\n', '> ')).toBe('> \n');
    expect(prefixLines('a\nb\n', '')).toBe('a\nb\n');
  });

  it('writes through a stream with the prefix, waiting only when the stream asks, and not at all once it is gone', async () => {
    const received: string[] = [];
    const slow = new Writable({
      highWaterMark: 4,
      write: (chunk, _encoding, callback) => {
        received.push(String(chunk));
        setTimeout(callback, 5);
      },
    });
    const sink = streamSink(slow, '| ');
    const first = sink.write('hello world\n');
    expect(first).toBeInstanceOf(Promise);
    await first;
    const roomy = new PassThrough({ highWaterMark: 1 << 20 });
    expect(writeOrWait(roomy, 'x\n')).toBeUndefined();
    roomy.destroy();
    expect(writeOrWait(roomy, 'y\n')).toBeUndefined();
    expect(received).toEqual(['| hello world\n']);
  });

  it('leaves no listener on the stream once a wait is over, however many writes waited', async () => {
    const slow = new Writable({
      highWaterMark: 1,
      write: (_chunk, _encoding, callback) => setImmediate(callback),
    });
    const before = ['drain', 'close', 'error'].map((event) => slow.listenerCount(event));
    // More waits than Node's default listener limit (10): a leak would also warn about it.
    for (let i = 0; i < 25; i++) await writeOrWait(slow, `line ${i}\n`);
    expect(['drain', 'close', 'error'].map((event) => slow.listenerCount(event))).toEqual(before);
  });

  it('stops waiting when a stream fails without ever closing', async () => {
    const failing = new Writable({ highWaterMark: 1, emitClose: false, write: () => undefined });
    failing.on('error', () => undefined);
    const waiting = writeOrWait(failing, 'x\n');
    expect(waiting).toBeInstanceOf(Promise);
    failing.destroy(new Error('EPIPE'));
    await waiting;
    expect(['drain', 'close', 'error'].map((event) => failing.listenerCount(event))).toEqual([0, 0, 1]);
  });

  it('stops waiting when the stream closes or fails instead of draining', async () => {
    const stuck = new Writable({ highWaterMark: 1, write: () => undefined });
    const waiting = writeOrWait(stuck, 'never drains\n');
    expect(waiting).toBeInstanceOf(Promise);
    stuck.destroy();
    await waiting;
    const failing = new Writable({ highWaterMark: 1, write: () => undefined });
    failing.on('error', () => undefined);
    const waitingForError = writeOrWait(failing, 'x\n');
    failing.destroy(new Error('EPIPE'));
    await waitingForError;
  });
});
