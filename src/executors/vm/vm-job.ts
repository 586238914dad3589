import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  renameSync,
  rmSync,
  type Stats,
  truncateSync,
  watch,
} from 'node:fs';
import { basename, join } from 'node:path';
import { DEFAULT_LIMITS } from '../../plan/limits.js';
import { reportGlobs } from '../../plan/schema.js';
import type { JobLog } from '../../records/job-log.js';
import { formatBytes } from '../../util/bytes.js';
import { takeLease, withLock } from '../../util/lease.js';
import { maskFileInPlace } from '../../util/mask-file.js';
import { maskTreeInPlace } from '../../util/mask-tree.js';
import { cloneFile } from '../../workspace/clone-file.js';
import { collectJobOutputs } from '../../workspace/collect.js';
import { placeInputs } from '../../workspace/inputs.js';
import { sanitizeTree } from '../../workspace/sanitize.js';
import type { JobContext, JobOutcome } from '../contract.js';
import { type VmJobTimes, vmPhases } from '../phases.js';
import { writeGuestFiles } from './guest-files.js';
import { type GuestUptimes, readGuestResult } from './guest-result.js';
import { type InertMounts, mountInert } from './inert-mounts.js';
import { followFile } from './tail-file.js';
import { buildVmSpec, type StaticNetwork, type VmShare, type VmSpec } from './vm-spec.js';

/** A running VM process. */
export interface VmProcess {
  pid: number;
  /** Resolves when the VM process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops the VM at once, escalating to SIGKILL, and resolves when the process is gone. */
  stop(graceMs: number): Promise<void>;
  /** The last lines the VM process wrote to stderr (for its error message). */
  stderrTail(): string;
  /**
   * When the hypervisor process itself was started (epoch ms), after its helpers (virtiofsd) were ready: the
   * end of the host's preparation. Without it, the launch call is.
   */
  spawnedAt?: number;
}

/** Starts VMs from specs: vfkit on a Mac, QEMU on Linux. */
export interface VmLauncher {
  readonly name: string;
  /** True when the VM is stopped through the spec's REST socket (recorded, so a crashed vmplan's VM can be too). */
  readonly restControlled: boolean;
  /**
   * True when a read-only share stays read-only whatever the guest does, because the host side refuses writes
   * (QEMU's 9p with readonly=on). Then a job can be given the run's snapshot itself instead of its own clone.
   */
  readonly enforcesReadOnlyShares: boolean;
  /**
   * True when the share server keeps a root guest's set-id bits on the host (QEMU's virtiofsd runs as root): the
   * shares a guest can write are then bind-mounted `nosuid,nodev` on the host for as long as it can write them.
   */
  readonly sharesKeepSetId?: boolean;
  /** The addresses its NAT always gives the guest, when they are fixed: the agent sets them without DHCP. */
  readonly staticNetwork?: StaticNetwork;
  /** Starts the VM; throws with a clear message when it cannot even start. */
  launch(spec: VmSpec, log: JobLog): Promise<VmProcess>;
  /** Why the VM process failed, from its exit and stderr (e.g. vfkit's `Error: ...` line). */
  failureMessage(exit: { code: number | null; signal: NodeJS.Signals | null }, stderrTail: string): string;
}

/** Per-executor settings of VM jobs. */
export interface VmJobSettings {
  /** Folder for VM control sockets (short paths). */
  socketDir: string;
  workspaceMode: 'overlay' | 'copy';
  /** Host folders already handed to the guest user (see ensureGuestWritable). */
  writableFolders: Map<string, Promise<void>>;
  /** Keep a failed job's root disk clone (jobs/<job>/disk.img) to look into; else it is always deleted. */
  keepFailedDisks: boolean;
}

/**
 * Runs one job in a throw-away VM: writes the guest files (job share), gives the VM its workspace (the run's
 * snapshot for an overlay, or a per-job copy) and a clone of the root disk, boots it, streams guest.log, stops
 * it on timeout or cancellation, then reads the untrusted result.json and brings artifacts back.
 */
export async function runVmJob(
  context: JobContext,
  launcher: VmLauncher,
  settings: VmJobSettings,
): Promise<JobOutcome> {
  const seen: VmSeen = { launch: null, exit: null, commandSeen: null, uptimes: undefined, unwatch: () => {} };
  const start = Date.now();
  try {
    const outcome = await runTimedVmJob(context, launcher, settings, seen);
    const { uptimes, launch, exit, commandSeen } = seen;
    const times = { start, launch, exit, commandSeen, end: Date.now() };
    return { ...outcome, phases: vmPhases(times, uptimes) };
  } finally {
    seen.unwatch();
  }
}

/** What runTimedVmJob saw happen, for the job's phases. */
interface VmSeen extends Omit<VmJobTimes, 'start' | 'end'> {
  uptimes: GuestUptimes | undefined;
  /** Stops watching the job share. */
  unwatch: () => void;
}

/**
 * Sets `seen.commandSeen` when the guest creates guest.log in its share (the agent does when the command starts):
 * the one event both clocks see. Without file events here, the VM's phases are not split.
 */
function watchCommandStart(guestDir: string, seen: VmSeen): void {
  try {
    const watcher = watch(guestDir, (_event, name) => {
      if (name !== 'guest.log' || seen.commandSeen !== null) return;
      seen.commandSeen = Date.now();
      watcher.close();
    });
    watcher.on('error', () => watcher.close());
    seen.unwatch = () => watcher.close();
  } catch {
    // no file events
  }
}

async function runTimedVmJob(
  context: JobContext,
  launcher: VmLauncher,
  given: VmJobSettings,
  seen: VmSeen,
): Promise<JobOutcome> {
  const { node, jobDir, log, image } = context;
  const shell = context.shell === true;
  // A shell works on its own copy of the job's workspace (see JobContext.shell).
  const settings: VmJobSettings = shell ? { ...given, workspaceMode: 'copy' } : given;
  if (image === undefined)
    return { status: 'failed', exitCode: null, message: `image "${node.image}" was not prepared` };
  const guestDir = join(jobDir, 'guest');
  const socket = join(settings.socketDir, `${randomBytes(6).toString('hex')}.sock`);
  const pidFile = join(jobDir, `${launcher.name}.pid`);
  const consoleLog = join(jobDir, 'console.log');
  const logBytes = (context.limits ?? DEFAULT_LIMITS).logBytes;
  let disk: string | null = null;
  let view: string | undefined;
  let passed = false;
  let disarm: (() => Promise<void>) | undefined;
  writeGuestFiles(
    guestDir,
    {
      node,
      timeoutSeconds: Math.ceil(node.timeoutMinutes * 60),
      workspaceMode: settings.workspaceMode,
      inputs: context.inputs.length > 0 && settings.workspaceMode !== 'copy',
      network: context.network,
      staticNetwork: context.network ? launcher.staticNetwork : undefined,
      disk: image.disk !== null,
      shell,
    },
    shell ? {} : context.secrets,
  );
  try {
    const workShare =
      settings.workspaceMode === 'overlay' && launcher.enforcesReadOnlyShares
        ? context.workspace.snapshotDir
        : await jobWorkShare(context, settings.workspaceMode);
    if (settings.workspaceMode !== 'copy' && workShare !== context.workspace.snapshotDir) view = workShare;
    await ensureGuestWritable(workShare, settings.writableFolders);
    // The outputs of the jobs it needs: in its own workspace copy, else in a folder the guest lays over the
    // snapshot. Placed after the hand-over to the guest user, so they stay the runner's (read-only to the job).
    let inputsShare: string | undefined;
    if (context.inputs.length > 0) {
      const into = settings.workspaceMode === 'copy' ? workShare : join(jobDir, 'inputs');
      mkdirSync(into, { recursive: true });
      const placed = await placeInputs(context.inputs, into);
      if (settings.workspaceMode !== 'copy') inputsShare = into;
      await log.note(
        `vmplan: outputs of ${context.inputs.map((input) => input.from).join(', ')} in the workspace (read-only): ${placed.paths.join(', ')}`,
      );
    }
    if (image.disk !== null) {
      disk = join(jobDir, 'disk.img');
      const method = await cloneFile(image.disk, disk);
      await log.note(`vmplan: root disk ready (${method})`);
    }
    const caches = node.caches.map((cache) => ({
      name: cache.name,
      hostPath: join(context.sharedCachesDir, cache.name),
    }));
    // Leased until the run ends, so gc never removes a cache a job is using.
    for (const cache of caches)
      await withLock(cache.hostPath, () => {
        prepareCacheFolder(cache.hostPath);
        takeLease(cache.hostPath);
      });
    const spec = buildVmSpec({
      node,
      image,
      caches,
      jobShare: guestDir,
      workShare,
      workShareWritable: settings.workspaceMode === 'copy',
      inputsShare,
      disk,
      consoleLog,
      restSocket: socket,
      pidFile,
      network: context.network,
      interactive: shell,
    });
    rmSync(socket, { force: true });
    if (context.signal.aborted)
      return { status: 'failed', exitCode: null, message: 'stopped before the VM started' };
    disarm = guardShares(writableShares(spec.shares, launcher), launcher, log);

    watchCommandStart(guestDir, seen);
    const launchCalled = Date.now();
    const vm = await launcher.launch(spec, log);
    seen.launch = vm.spawnedAt ?? launchCalled;
    // Started detached: the VM process leads its own group (the vfkit shim or QEMU with its helpers).
    context.onProcess({ pid: vm.pid, group: true, restSocket: launcher.restControlled ? socket : null });
    let stopping: Promise<void> | undefined;
    const onAbort = () => {
      stopping ??= vm.stop(context.killGraceMs());
    };
    if (context.signal.aborted) onAbort();
    else context.signal.addEventListener('abort', onAbort, { once: true });

    const following =
      context.guestLog === undefined
        ? Promise.resolve()
        : followFile(join(guestDir, 'guest.log'), context.guestLog.input(), vm.exited, logBytes);
    const exit = await vm.exited;
    seen.exit = Date.now();
    seen.unwatch();
    context.signal.removeEventListener('abort', onAbort);
    await stopping;
    await following;
    if (shell) {
      // Nothing to collect from a shell: its VM is gone, its shares are swept like a job's.
      await disarm();
      await sweepCaches(caches, log);
      if (exit.code === 0) return { status: 'passed', exitCode: 0, message: null };
      return { status: 'failed', exitCode: null, message: launcher.failureMessage(exit, vm.stderrTail()) };
    }
    // The console mirrors the job's output: capped and masked like it.
    await capFile(consoleLog, logBytes, log);
    if (existsSync(consoleLog)) await maskFileInPlace(consoleLog, context.runSecrets);

    // Nothing privileged stays once the guest is gone, whatever the collection then does.
    await disarm();
    try {
      await bringBack(context, guestDir);
    } finally {
      await sweepCaches(caches, log);
    }
    if (context.signal.aborted) return { status: 'failed', exitCode: null, message: 'stopped' };
    if (exit.code !== 0) {
      return {
        status: 'failed',
        exitCode: null,
        message: launcher.failureMessage(exit, vm.stderrTail()),
        infrastructure: true,
      };
    }
    const outcome = outcomeFromResult(join(guestDir, 'result.json'), log, seen);
    passed = outcome.status === 'passed';
    return outcome;
  } finally {
    // A failure anywhere above (the launch, the log, the collection) still sweeps and unmounts the shares.
    await disarm?.();
    rmSync(join(guestDir, 'secrets.env'), { force: true });
    // The guest's own copy of its output is unmasked; the job's guest.log is the masked one.
    rmSync(join(guestDir, 'guest.log'), { force: true });
    if (disk !== null) {
      if (settings.keepFailedDisks && !passed)
        await log.note(`vmplan: kept the failed job's root disk: ${disk}`);
      else rmSync(disk, { force: true });
    }
    rmSync(socket, { force: true });
    rmSync(pidFile, { force: true });
    if (view !== undefined) rmSync(view, { recursive: true, force: true });
    // The guest could write into its inputs share (vfkit cannot keep it read-only): nothing of it is kept.
    rmSync(join(jobDir, 'inputs'), { recursive: true, force: true });
  }
}

/** Cuts a log the guest wrote past `bytes` (a guest can print without end), saying so in the job's log. */
async function capFile(path: string, bytes: number, log: JobLog): Promise<void> {
  const info = lstatOrUndefined(path);
  if (info === undefined || !info.isFile() || info.size <= bytes) return;
  truncateSync(path, bytes);
  await log.note(
    `vmplan: ${basename(path)} cut at ${formatBytes(bytes)} of ${formatBytes(info.size)} (limits.log-bytes)`,
  );
}

/** The host folders of the shares a (root) guest can write: all but those the hypervisor keeps read-only. */
function writableShares(shares: readonly VmShare[], launcher: VmLauncher): string[] {
  return shares
    .filter((share) => !(share.readOnly && launcher.enforcesReadOnlyShares))
    .map((share) => share.hostPath);
}

/**
 * Guards the shares a guest can write from the moment it boots: `nosuid,nodev` mounts where the share server
 * keeps set-id bits (see VmLauncher.sharesKeepSetId). Returns the sweep that clears any device node and set-id
 * bit the guest left, then unmounts — run once, after the VM is gone, whatever failed.
 */
function guardShares(folders: string[], launcher: VmLauncher, log: JobLog): () => Promise<void> {
  const mounts: InertMounts | undefined = launcher.sharesKeepSetId === true ? mountInert(folders) : undefined;
  let done: Promise<void> | undefined;
  return () => {
    done ??= (async () => {
      const removed: string[] = [];
      try {
        for (const folder of folders)
          removed.push(
            ...(await sanitizeTree(folder, { privilegedOnly: true })).map((path) => `${folder}/${path}`),
          );
      } finally {
        const problems = mounts?.release() ?? [];
        if (problems.length > 0) await log.note(`vmplan: ${problems.join('; ')}`);
      }
      if (removed.length > 0)
        await log.note(
          `vmplan: removed ${removed.length} device node(s) the guest made in its shares: ${removed
            .slice(0, 5)
            .map((path) => JSON.stringify(path))
            .join(', ')}`,
        );
    })();
    return done;
  };
}

/** The job's outcome from result.json, which the guest wrote and nothing vouches for. */
function outcomeFromResult(path: string, log: JobLog, seen: VmSeen): JobOutcome {
  const read = readGuestResult(path);
  if (read.kind === 'ok') seen.uptimes = read.result.uptimes;
  if (read.kind === 'missing') {
    return {
      status: 'failed',
      exitCode: null,
      message: 'the guest stopped without a result (see guest.log and console.log)',
      infrastructure: true,
    };
  }
  if (read.kind === 'invalid')
    return { status: 'failed', exitCode: null, message: `invalid result from the guest: ${read.problem}` };
  const { result } = read;
  const message = result.message === null ? null : log.mask(stripControlCharacters(result.message));
  switch (result.status) {
    case 'passed':
      return { status: 'passed', exitCode: result.exitCode ?? 0, message: null };
    case 'timed_out':
      return { status: 'timed_out', exitCode: result.exitCode, message };
    case 'error':
      return { status: 'failed', exitCode: null, message: message ?? 'the guest could not run the job' };
    default:
      return {
        status: 'failed',
        exitCode: result.exitCode,
        message: message ?? `exited with code ${result.exitCode}`,
      };
  }
}

/**
 * The folder shared as the job's workspace when the launcher cannot keep a share read-only: a root guest can
 * remount any share read-write (virtio-fs has no read-only export under vfkit), so each job gets its own clone,
 * and nothing it does reaches another job or the host's snapshot. `copy` mode keeps the clone as the job's workspace; the overlay's
 * view (`snapshot-view`) is dropped when the job ends.
 */
async function jobWorkShare(context: JobContext, mode: 'overlay' | 'copy'): Promise<string> {
  const share = join(context.jobDir, mode === 'copy' ? 'workspace' : 'snapshot-view');
  const copy = await context.workspace.jobCopy(share);
  const what = mode === 'copy' ? 'workspace copy' : "the job's view of the snapshot";
  await context.log.note(`vmplan: ${what} ready in ${copy.ms} ms (${copy.method})`);
  return share;
}

/** Caches outlive the job and are read by later ones: no device, pipe or setuid file may stay in them. */
async function sweepCaches(caches: { name: string; hostPath: string }[], log: JobLog): Promise<void> {
  for (const cache of caches) {
    const removed = await sanitizeTree(cache.hostPath, { keepLinks: true });
    if (removed.length > 0)
      await log.note(
        `vmplan: removed ${removed.length} device(s), pipe(s) or socket(s) from cache ${cache.name}`,
      );
  }
}

/** An entry's own type and mode (a symlink is reported as one), or undefined when there is none. */
function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Copies what the guest collected, filtered by the job's exact globs, and its workspace changes. */
async function bringBack(context: JobContext, guestDir: string): Promise<void> {
  const { node, jobDir, log } = context;
  // The guest copied at least what the globs match into its share; keep exactly what they match.
  const roots = {
    artifacts: join(guestDir, 'artifacts'),
    reports: join(guestDir, 'reports'),
    outputs: join(guestDir, 'outputs'),
  };
  // The agent collects outputs only after the command passed (and the engine gives them to dependents only then).
  const outputs = existsSync(roots.outputs) ? (node.outputs ?? []) : [];
  const notes = await collectJobOutputs(
    roots,
    { artifacts: node.artifacts, reports: reportGlobs(node), outputs },
    jobDir,
    context.runSecrets,
    context.limits ?? DEFAULT_LIMITS,
  );
  if (notes.length > 0) await log.note(notes.join('\n'));
  for (const folder of Object.values(roots)) rmSync(folder, { recursive: true, force: true });
  // What stays of the share (result.json, logs) is kept and uploaded: no link, pipe or device may stay in it.
  const removed = await sanitizeTree(guestDir);
  // result.json is kept and uploaded with the logs: its message is the guest's words, secrets included.
  if (lstatOrUndefined(join(guestDir, 'result.json'))?.isFile() === true)
    await maskFileInPlace(join(guestDir, 'result.json'), context.runSecrets);
  if (removed.length > 0)
    await log.note(
      `vmplan: removed ${removed.length} link(s), pipe(s) or device(s) the guest left in its share: ${removed
        .slice(0, 5)
        .map((path) => JSON.stringify(path))
        .join(', ')}`,
    );
  // The guest wrote these too: kept only as what they claim to be (a folder, a file), never as a link.
  for (const [name, isExpected] of [
    ['workspace-changes', (info: Stats) => info.isDirectory()],
    ['workspace-deleted.txt', (info: Stats) => info.isFile()],
  ] as const) {
    const info = lstatOrUndefined(join(guestDir, name));
    if (info === undefined) continue;
    if (isExpected(info)) {
      renameSync(join(guestDir, name), join(jobDir, name));
      // The guest's files become the runner's: as root, the guest user's uid could be a real user here.
      if (process.getuid?.() === 0) spawnSync('chown', ['-R', '-h', '0:0', join(jobDir, name)]);
      // Uploaded with the logs: a token the job wrote into a file (.npmrc) is masked like an artifact's.
      if (info.isDirectory()) await maskTreeInPlace(join(jobDir, name), context.runSecrets);
      else await maskFileInPlace(join(jobDir, name), context.runSecrets);
    } else {
      rmSync(join(guestDir, name), { recursive: true, force: true });
      await log.note(
        `vmplan: left the guest's ${name} behind: it is not a plain ${name.endsWith('.txt') ? 'file' : 'folder'}`,
      );
    }
  }
}

/**
 * A cache's host folder, created on first use. Running as root (a Linux runner), it is handed to the guest
 * user (uid 1000) as the workspace is; what the guest writes inside then belongs to that user already.
 */
function prepareCacheFolder(path: string): void {
  if (existsSync(path)) return;
  mkdirSync(path, { recursive: true });
  if (process.getuid?.() === 0) chownSync(path, 1000, 1000);
}

/**
 * When vmplan runs as root (CI containers), the snapshot belongs to root and the guest's unprivileged job user
 * could not write its workspace: hand the folder to uid 1000, the user the guest agent then runs as. Once per folder.
 */

async function ensureGuestWritable(folder: string, done: Map<string, Promise<void>>): Promise<void> {
  if (process.getuid?.() !== 0) return;
  let pending = done.get(folder);
  if (pending === undefined) {
    pending = Promise.resolve().then(() => {
      const result = spawnSync('chown', ['-R', '-h', '1000:1000', folder], { encoding: 'utf8' });
      if (result.status !== 0)
        throw new Error(`cannot hand the workspace to the guest user: ${result.stderr.trim()}`);
    });
    done.set(folder, pending);
  }
  await pending;
}

/** Replaces control characters (from an untrusted message) with spaces. */
function stripControlCharacters(text: string): string {
  return [...text]
    .map((char) => (char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f ? ' ' : char))
    .join('');
}
