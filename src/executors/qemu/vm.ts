import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { VmSpec } from '../vm/vm-spec.js';
import { type QemuOptions, qemuArgs, qemuBinary } from './args.js';

/** A virtiofsd found on this machine, and how to call it. */
export interface Virtiofsd {
  path: string;
  /** QEMU's C virtiofsd (Debian 12) takes `-o` options and needs root; the Rust one takes `--` flags. */
  flavour: 'c' | 'rust';
}

const VIRTIOFSD_CANDIDATES = ['/usr/libexec/virtiofsd', '/usr/lib/qemu/virtiofsd', '/usr/lib/virtiofsd'];

/** Finds a usable virtiofsd, or undefined (QEMU then shares folders over 9p). */
export function findVirtiofsd(): Virtiofsd | undefined {
  for (const path of VIRTIOFSD_CANDIDATES) {
    if (!existsSync(path)) continue;
    const version = spawnSync(path, ['--version'], { encoding: 'utf8' });
    const text = `${version.stdout}${version.stderr}`;
    if (/QEMU|version 7\.|version 8\./.test(text)) {
      // The C daemon must run as root (it chroots into the shared folder).
      if (process.getuid?.() === 0) return { path, flavour: 'c' };
      continue;
    }
    if (version.status === 0) return { path, flavour: 'rust' };
  }
  return undefined;
}

/** The command line of one virtiofsd serving `folder` on `socket`. */
export function virtiofsdArgs(daemon: Virtiofsd, socket: string, folder: string): string[] {
  if (daemon.flavour === 'c') {
    return [
      `--socket-path=${socket}`,
      '-o',
      // -o values are split at commas, and a backslash escapes the next character (libfuse's option parser).
      `source=${folder.replaceAll('\\', '\\\\').replaceAll(',', '\\,')}`,
      '-o',
      'cache=auto',
      '-o',
      'sandbox=chroot',
      '-o',
      'log_level=warn',
      // A root guest's mknod makes no device node on the host (set-id bits need the nosuid mount: see vm-job).
      '-o',
      'modcaps=-mknod:-fsetid:-setfcap',
    ];
  }
  const sandbox = process.getuid?.() === 0 ? 'chroot' : 'none';
  return [
    `--socket-path=${socket}`,
    `--shared-dir=${folder}`,
    '--cache=auto',
    `--sandbox=${sandbox}`,
    '--log-level=warn',
    '--modcaps=-mknod:-fsetid:-setfcap',
  ];
}

/** A QEMU VM with its virtiofsd helpers. */
export interface QemuVm {
  qemu: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, grace, SIGKILL; then the helpers. Resolves when all are gone. */
  stop(graceMs: number): Promise<void>;
  stderrTail(): string;
  /** The QEMU command line, for logs. */
  command: string[];
  /** When QEMU was started (epoch ms), its virtiofsd helpers ready. */
  spawnedAt: number;
}

/** Where a VM's process output goes. */
export interface QemuOutput {
  /** QEMU's (and virtiofsd's) stdout and stderr. */
  stream: () => Writable;
}

/**
 * Boots a VM spec with QEMU: one virtiofsd per share when available (the same virtiofs mounts the guest does
 * under vfkit), else 9p. QEMU exits when the guest powers off (or panics, with panic=-1 and -no-reboot).
 */
export async function startQemuVm(
  spec: VmSpec,
  options: {
    accel: QemuOptions['accel'];
    virtiofsd: Virtiofsd | undefined;
    socketDir: string;
    output: QemuOutput;
    /** QEMU in a process group of its own (default), or in the caller's, so it dies with the caller's group. */
    ownGroup?: boolean;
  },
): Promise<QemuVm> {
  const interactive = spec.console === 'stdio';
  // An interactive console stays in the caller's (foreground) group: a background group cannot read the terminal.
  const ownGroup = !interactive && (options.ownGroup ?? true);
  const helpers: ChildProcess[] = [];
  const sockets: Record<string, string> = {};
  let stderr = '';
  const keepTail = (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-8192);
  };
  const stopHelpers = async () => {
    for (const helper of helpers)
      if (helper.exitCode === null && helper.signalCode === null) helper.kill('SIGKILL');
    await Promise.all(
      helpers.map((helper) =>
        helper.exitCode === null && helper.signalCode === null ? once(helper) : undefined,
      ),
    );
    for (const socket of Object.values(sockets)) rmSync(socket, { force: true });
  };

  if (options.virtiofsd !== undefined) {
    for (const share of spec.shares) {
      const socket = join(options.socketDir, `${randomBytes(6).toString('hex')}-${share.tag}.vfs.sock`);
      rmSync(socket, { force: true });
      sockets[share.tag] = socket;
      const helper = spawn(options.virtiofsd.path, virtiofsdArgs(options.virtiofsd, socket, share.hostPath), {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // virtiofsd is chatty even at warn level; keep its last words for errors only.
      helper.stdout?.resume();
      helper.stderr?.on('data', keepTail);
      helpers.push(helper);
    }
    const ready = await waitFor(() => Object.values(sockets).every((socket) => existsSync(socket)), 5_000);
    if (!ready) {
      await stopHelpers();
      throw new Error(
        `virtiofsd did not start within 5 s (${stderr.trim().split('\n').pop() ?? 'no message'}); set VMPLAN_QEMU_SHARES=9p to share folders over 9p instead`,
      );
    }
  }

  const args = qemuArgs(spec, {
    accel: options.accel,
    shares: options.virtiofsd === undefined ? '9p' : 'virtiofs',
    virtiofsSockets: sockets,
  });
  const binary = qemuBinary(spec.arch);
  const spawnedAt = Date.now();
  const qemu = spawn(binary, args, {
    stdio: interactive ? ['inherit', 'inherit', 'pipe'] : ['ignore', 'pipe', 'pipe'],
    detached: ownGroup,
  });
  qemu.stdout?.pipe(options.output.stream());
  qemu.stderr?.on('data', keepTail);
  qemu.stderr?.pipe(options.output.stream());
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    qemu.once('spawn', () => resolve(undefined));
    qemu.once('error', resolve);
  });
  if (spawnError !== undefined) {
    await stopHelpers();
    throw new Error(`cannot start ${binary}: ${spawnError.message}`);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    qemu.once('exit', (code, signal) => {
      // virtiofsd exits as soon as QEMU disconnects: wait for that (at most 500 ms), then make sure of it.
      const helpersGone = Promise.all(
        helpers.map((helper) =>
          helper.exitCode === null && helper.signalCode === null ? once(helper) : undefined,
        ),
      );
      void Promise.race([helpersGone, sleep(500)])
        .then(stopHelpers)
        .then(() => resolve({ code, signal }));
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    qemu,
    pid: qemu.pid!,
    exited,
    command: [binary, ...args],
    spawnedAt,
    stderrTail: () => stderr,
    stop(graceMs) {
      stopping ??= (async () => {
        if (qemu.exitCode === null && qemu.signalCode === null) qemu.kill('SIGTERM');
        const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
        if (!done) {
          try {
            if (ownGroup) process.kill(-qemu.pid!, 'SIGKILL');
            else qemu.kill('SIGKILL');
          } catch {
            // already gone
          }
        }
        await exited;
      })();
      return stopping;
    },
  };
}

function once(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await sleep(5); // virtiofsd binds its socket within milliseconds: a coarse poll would be most of the wait
  }
  return condition();
}
