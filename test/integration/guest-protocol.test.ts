import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import picomatch from 'picomatch';
import { afterAll, describe, expect, it } from 'vitest';
import { envFileText, globToFindPattern, shellQuote } from '../../src/executors/vm/guest-files.js';
import { MAX_RESULT_BYTES, readGuestResult } from '../../src/executors/vm/guest-result.js';
import { followFile } from '../../src/executors/vm/tail-file.js';
import { REPO_ROOT } from '../support/cli.js';
import { testGuest } from '../support/vm.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-guest-protocol-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('env files for the guest agent', () => {
  it('carry any value through POSIX sh unchanged (quotes, $, backslashes, newlines)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }).filter((text) => !text.includes('\0')),
        (value) => {
          const file = join(folder, 'env');
          writeFileSync(file, envFileText({ VALUE: value }));
          const out = execFileSync('busybox', ['sh', '-c', `set -a; . "${file}"; printf %s "$VALUE"`], {
            encoding: 'utf8',
          });
          expect(out).toBe(value);
        },
      ),
      { numRuns: 100 },
    );
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  it('close every quote of a value: a value with several cannot run a command when the agent sources the file', () => {
    const marker = join(folder, 'sourced-a-command');
    const file = join(folder, 'quotes.env');
    for (const value of [
      "a'b'c",
      `x'; touch ${marker}; '`,
      `'$(touch ${marker})'`,
      "''''",
      `it's'; touch ${marker} #'`,
    ]) {
      writeFileSync(file, envFileText({ VALUE: value }));
      const out = execFileSync('busybox', ['sh', '-c', `set -a; . "${file}"; printf %s "$VALUE"`], {
        encoding: 'utf8',
      });
      expect(out).toBe(value);
    }
    expect(existsSync(marker)).toBe(false);
  });
});

describe('artifact globs in the guest', () => {
  it('find -path with the widened pattern matches at least what the glob matches (the host then filters exactly)', () => {
    const root = join(folder, 'tree');
    const files = [
      'a.txt',
      'b.log',
      'out/x.txt',
      'out/sub/y.txt',
      'out/sub/deep/z.xml',
      'src/main.rs',
      'reports/junit-1.xml',
      'reports/a/junit-2.xml',
    ];
    for (const file of files) {
      mkdirSync(join(root, file, '..'), { recursive: true });
      writeFileSync(join(root, file), '');
    }
    const globs = [
      '*.txt',
      'out/**',
      'out/**/*.txt',
      '**/*.xml',
      'reports/{a,b}/*.xml',
      'src/main.rs',
      'out/sub',
      're?orts/*.xml',
    ];
    for (const glob of globs) {
      const found = execFileSync('busybox', ['find', '.', '-path', globToFindPattern(glob), '-print'], {
        cwd: root,
        encoding: 'utf8',
      })
        .split('\n')
        .filter(Boolean)
        .map((path) => path.replace(/^\.\//, ''));
      const expected = files.filter((file) => picomatch(glob, { dot: true })(file));
      for (const file of expected) {
        expect(
          found.some((path) => file === path || file.startsWith(`${path}/`)),
          `${glob} should find ${file}`,
        ).toBe(true);
      }
    }
  });
});

describe('readGuestResult (untrusted input)', () => {
  const write = (name: string, content: string) => {
    const path = join(folder, name);
    writeFileSync(path, content);
    return path;
  };

  it('accepts what the agent writes', () => {
    const path = write(
      'ok.json',
      '{"version":1,"status":"failed","exitCode":3,"startedAt":"2026-11-29T10:00:00Z","finishedAt":"2026-11-29T10:00:05Z","message":"exited with code 3"}\n',
    );
    expect(readGuestResult(path)).toEqual({
      kind: 'ok',
      result: {
        version: 1,
        status: 'failed',
        exitCode: 3,
        startedAt: '2026-11-29T10:00:00Z',
        finishedAt: '2026-11-29T10:00:05Z',
        message: 'exited with code 3',
      },
    });
  });

  it("accepts what the agent's own write_result writes (busybox sh), whatever the message holds", () => {
    const agent = readFileSync(join(REPO_ROOT, 'guest/vmplan-agent.sh'), 'utf8');
    const functions = ['now', 'json_string', 'uptime_to', 'is_number', 'write_result']
      .map((name) => new RegExp(`^${name}\\(\\) \\{[^]*?^\\}`, 'm').exec(agent)?.[0] ?? '')
      .join('\n');
    const job = mkdtempSync(join(folder, 'agent-job-'));
    const message = 'tab\there, bell\u0007, escape\u001b[31m, "quoted" back\\slash\nnew line é';
    execFileSync(
      'busybox',
      [
        'sh',
        '-c',
        `${functions}\nSTARTED=2026-11-29T10:00:00Z\nUP_STARTED=212\nUP_COMMAND=250\nUP_FINISHED=null\nwrite_result failed 3 "$MESSAGE"`,
      ],
      { env: { PATH: process.env.PATH, JOB: job, MESSAGE: message } },
    );
    const read = readGuestResult(join(job, 'result.json'));
    expect(read).toMatchObject({
      kind: 'ok',
      result: { status: 'failed', exitCode: 3, startedAt: '2026-11-29T10:00:00Z' },
    });
    expect(read.kind === 'ok' && read.result.message).toBe(
      'tab here, bell , escape [31m, "quoted" back\\slash new line é',
    );
    // Its times on the guest's clock: collected read from /proc/uptime when the result was written.
    const uptimes = read.kind === 'ok' ? read.result.uptimes : undefined;
    expect(uptimes).toMatchObject({ started: 212, command: 250, finished: null });
    expect(uptimes?.collected).toBeGreaterThan(0);
    // A time that is not a number (no /proc here, a bug) leaves the times out rather than break the result.
    const broken = mkdtempSync(join(folder, 'agent-job-'));
    execFileSync('busybox', ['sh', '-c', `${functions}\nUP_STARTED=\nwrite_result passed 0 ""`], {
      env: { PATH: process.env.PATH, JOB: broken },
    });
    const without = readGuestResult(join(broken, 'result.json'));
    expect(without).toMatchObject({ kind: 'ok', result: { status: 'passed' } });
    expect(without.kind === 'ok' && without.result.uptimes).toBeUndefined();
  });

  it('says missing, never throws', () => {
    expect(readGuestResult(join(folder, 'nothing.json'))).toEqual({ kind: 'missing' });
  });

  it('refuses a symlink the guest planted (e.g. to a host secret)', () => {
    const link = join(folder, 'link.json');
    symlinkSync('/etc/hostname', link);
    expect(readGuestResult(link)).toEqual({ kind: 'invalid', problem: 'result.json is a symlink' });
  });

  it('refuses oversized, non-JSON and off-schema results', () => {
    expect(readGuestResult(write('big.json', ' '.repeat(MAX_RESULT_BYTES + 1)))).toEqual({
      kind: 'invalid',
      problem: `result.json is ${MAX_RESULT_BYTES + 1} bytes, more than the ${MAX_RESULT_BYTES} allowed`,
    });
    expect(readGuestResult(write('bad.json', '{"status": "pass'))).toMatchObject({
      kind: 'invalid',
      problem: expect.stringMatching(/^result\.json is not valid JSON/),
    });
    expect(
      readGuestResult(
        write(
          'schema.json',
          '{"version":1,"status":"won","exitCode":0,"startedAt":null,"finishedAt":"x","message":null}',
        ),
      ),
    ).toMatchObject({
      kind: 'invalid',
      problem: expect.stringMatching(/^result\.json does not match the guest protocol \(status: /),
    });
    expect(
      readGuestResult(
        write(
          'code.json',
          '{"version":1,"status":"failed","exitCode":99999,"startedAt":null,"finishedAt":"x","message":null}',
        ),
      ),
    ).toMatchObject({
      kind: 'invalid',
    });
  });
});

describe('following guest.log (the guest writes it)', () => {
  /** What followFile copies of `path` into a stream, once the VM has already stopped. */
  async function followed(path: string, maxBytes?: number): Promise<Buffer> {
    const into = new PassThrough();
    const chunks: Buffer[] = [];
    into.on('data', (chunk: Buffer) => chunks.push(chunk));
    await followFile(path, into, Promise.resolve(), maxBytes);
    return Buffer.concat(chunks);
  }

  it('copies the log, and never through a link the guest made (to a host secret)', async () => {
    const dir = mkdtempSync(join(folder, 'follow-'));
    writeFileSync(join(dir, 'host-secret'), 'HOST SECRET\n');
    writeFileSync(join(dir, 'guest.log'), 'job output\n');
    expect((await followed(join(dir, 'guest.log'))).toString()).toBe('job output\n');
    symlinkSync(join(dir, 'host-secret'), join(dir, 'linked.log'));
    expect((await followed(join(dir, 'linked.log'))).toString()).toBe('');
  });

  it('copies what the guest wrote last, just before the VM stopped, once the stop is known', async () => {
    const dir = mkdtempSync(join(folder, 'follow-'));
    const log = join(dir, 'guest.log');
    writeFileSync(log, 'first\n');
    const into = new PassThrough();
    const chunks: Buffer[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    // Once the first line is copied (and the follower is waiting for more), the guest writes its last line and
    // the VM stops at once: no poll comes between them.
    into.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (chunks.length === 1)
        setImmediate(() => {
          appendFileSync(log, 'last\n');
          stop();
        });
    });
    await followFile(log, into, stopped);
    expect(Buffer.concat(chunks).toString()).toBe('first\nlast\n');
  });

  it('stops at log-bytes with one line saying where it was cut, however long the file is', async () => {
    const dir = mkdtempSync(join(folder, 'follow-'));
    const log = join(dir, 'guest.log');
    writeFileSync(log, 'y'.repeat(100_000));
    // Sparse and longer than any host would read: only the limit is.
    truncateSync(log, 2 ** 40);
    const copied = await followed(log, 4096);
    expect(copied.subarray(0, 4096).toString()).toBe('y'.repeat(4096));
    expect(copied.subarray(4096).toString()).toBe(
      "\nvmplan: the guest's output was cut here, at 4096 bytes (limits.log-bytes)\n",
    );
  });
});

describe("the guest inits' console", () => {
  // A console node can exist a moment before it opens (hvc0 while its port binds, on a busy host): `exec` on it
  // would end init, and the kernel panics. Both inits try each device with `opens` first.
  it.runIf(process.getuid?.() === 0)(
    'is a device that opens, never a node that does not, and never a file created by trying',
    () => {
      const nodes = mkdtempSync(join(folder, 'dev-'));
      // A character device of no driver: the node is there, opening it fails (ENXIO), like hvc0 before its port.
      execFileSync('mknod', [join(nodes, 'unbound'), 'c', '240', '240']);
      for (const init of ['guest/test-guest-init.sh', 'guest/debian-init.sh']) {
        const opens = /^opens\(\) \{.*\}/m.exec(readFileSync(join(REPO_ROOT, init), 'utf8'))?.[0];
        expect(opens, init).toBeDefined();
        const answer = (path: string) =>
          execFileSync('busybox', ['sh', '-c', `${opens}\nopens "$1" && echo yes || echo no`, 'sh', path], {
            encoding: 'utf8',
          }).trim();
        expect([answer('/dev/null'), answer(join(nodes, 'unbound')), answer(join(nodes, 'missing'))]).toEqual(
          ['yes', 'no', 'no'],
        );
        expect(readdirSync(nodes)).toEqual(['unbound']);
      }
    },
  );
});

describe('the test guest initramfs', () => {
  // Issue 15: every process costs milliseconds in an emulated guest, so the build does once what each boot did.
  it.skipIf(testGuest() === undefined)(
    'has busybox applets linked in (merged /usr), its init as /init, and the drivers every job uses in one modprobe',
    () => {
      const entries = execFileSync('cpio', ['-itv', '--quiet', '-F', join(testGuest()!, 'initrd')], {
        encoding: 'utf8',
      });
      const link = (path: string) =>
        new RegExp(`^l\\S+ .* ${path.replaceAll('.', '\\.')} -> (\\S+)$`, 'm').exec(entries)?.[1];
      expect([link('bin/sh'), link('bin/mount'), link('bin/modprobe'), link('bin/udhcpc')]).toEqual([
        'busybox',
        'busybox',
        'busybox',
        'busybox',
      ]);
      expect([link('sbin'), link('usr/bin'), link('usr/sbin')]).toEqual(['bin', '../bin', '../bin']);
      const initrd = mkdtempSync(join(folder, 'initrd-'));
      execFileSync(
        'cpio',
        ['-id', '--quiet', '-F', join(testGuest()!, 'initrd'), 'init', 'etc/fstab', 'etc/vmplan-modules'],
        {
          cwd: initrd,
        },
      );
      const init = readFileSync(join(initrd, 'init'), 'utf8');
      expect(init).toBe(readFileSync(join(REPO_ROOT, 'guest/test-guest-init.sh'), 'utf8'));
      expect(init).not.toMatch(/--install/);
      expect(init.match(/^\s*modprobe /gm)).toHaveLength(1);
      expect(readFileSync(join(initrd, 'etc/fstab'), 'utf8')).toMatch(/^proc \/proc proc/m);
      // Each driver init loads is in the initramfs (virtio_rng's file is virtio-rng.ko).
      const modules = readFileSync(join(initrd, 'etc/vmplan-modules'), 'utf8').split('\n');
      const loaded = /^modprobe -a ([\w ]+?) 2>/m.exec(init)?.[1]?.split(' ');
      expect(loaded).toEqual(expect.arrayContaining(['virtio_console', 'virtiofs', 'overlay', 'virtio_net']));
      for (const module of loaded ?? []) expect(modules, module).toContain(module);
    },
  );
});
