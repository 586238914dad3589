import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { release } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError } from '../../errors.js';
import { executorsUsing } from '../../plan/image-users.js';
import type { Plan } from '../../plan/schema.js';
import { killRecordedProcessNow, stopRecordedProcess } from '../../process/ownership.js';
import type { JobLog } from '../../records/job-log.js';
import { shortSocketDir } from '../../util/short-socket-dir.js';
import type { JobContext, JobExecutor, JobOutcome } from '../contract.js';
import type { ExecutorRuntime } from '../descriptor.js';
import { runVmJob, type VmLauncher, type VmProcess } from '../vm/vm-job.js';
import type { VmSpec } from '../vm/vm-spec.js';
import { vfkitArgs } from './args.js';
import { setVfkitState } from './rest.js';

/** The oldest vfkit vmplan drives: --pidfile and a reliable SIGTERM came with 0.6.2. */
export const MIN_VFKIT_VERSION = [0, 6, 2] as const;

/** Finds an executable on PATH (or checks a given path); undefined when there is none. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = name.includes('/')
    ? [resolve(name)]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return isAbsolute(candidate) ? candidate : resolve(candidate);
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** Parses `vfkit version: v0.6.4` into [0, 6, 4]. */
export function parseVfkitVersion(output: string): [number, number, number] | undefined {
  const match = /version:?\s*v?(\d+)\.(\d+)\.(\d+)/.exec(output);
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])];
}

function atLeast(version: readonly number[], minimum: readonly number[]): boolean {
  for (let i = 0; i < minimum.length; i++) {
    if ((version[i] ?? 0) !== minimum[i]) return (version[i] ?? 0) > minimum[i]!;
  }
  return true;
}

/**
 * Runs jobs in vfkit VMs on an Apple Silicon Mac (Apple's Virtualization framework): each job boots its own
 * guest, shares its folders over virtio-fs, and is stopped through vfkit's REST API (HardStop), then SIGTERM,
 * then SIGKILL.
 */
export class VfkitExecutor implements JobExecutor {
  readonly name = 'vfkit' as const;
  private readonly writableFolders = new Map<string, Promise<void>>();
  private binary: string | undefined;

  constructor(
    private readonly options: { vfkitPath?: string; env?: NodeJS.ProcessEnv; keepFailedDisks?: boolean } = {},
  ) {}

  async preflight(plan: Plan): Promise<void> {
    const wanted = this.options.vfkitPath ?? 'vfkit';
    const binary = findExecutable(wanted, this.options.env);
    if (binary === undefined) {
      throw new InputError(
        this.options.vfkitPath === undefined
          ? 'vfkit is not installed (or not on PATH): install it with `brew install vfkit` (needs macOS 13+ on Apple Silicon), or pass --vfkit-path'
          : `--vfkit-path ${this.options.vfkitPath}: no executable there`,
      );
    }
    const output = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    const version = parseVfkitVersion(`${output.stdout}${output.stderr}`);
    if (version === undefined) {
      throw new InputError(
        `cannot tell the version of ${binary} (it printed ${JSON.stringify(`${output.stdout}${output.stderr}`.trim().slice(0, 80))}); vmplan needs vfkit ${MIN_VFKIT_VERSION.join('.')} or newer: install a release (brew install vfkit)`,
      );
    }
    if (!atLeast(version, MIN_VFKIT_VERSION)) {
      throw new InputError(
        `vfkit ${version.join('.')} is too old: vmplan needs ${MIN_VFKIT_VERSION.join('.')} or newer (brew upgrade vfkit)`,
      );
    }
    if (process.platform === 'darwin') {
      const problems: string[] = [];
      const major = Number(release().split('.')[0]);
      if (major < 22)
        problems.push(`vfkit needs macOS 13 or newer; this Mac runs Darwin ${release()}: update macOS`);
      if (process.arch !== 'arm64')
        problems.push('vmplan runs vfkit guests on Apple Silicon only; this Mac is Intel');
      // vfkit cannot emulate: guests must match the Mac (arm64).
      for (const node of plan.nodes) {
        if (
          node.kind === 'prepare' &&
          node.arch !== 'arm64' &&
          executorsUsing(plan, node).includes('vfkit')
        ) {
          problems.push(
            `image "${node.image}" is ${node.arch}; vfkit on Apple Silicon boots arm64 guests only`,
          );
        }
      }
      if (problems.length > 0) throw new InputError(problems.map((message) => ({ message })));
    }
    this.binary = binary;
  }

  async runJob(context: JobContext): Promise<JobOutcome> {
    const binary = this.binary ?? findExecutable(this.options.vfkitPath ?? 'vfkit', this.options.env);
    if (binary === undefined) return { status: 'failed', exitCode: null, message: 'vfkit is not installed' };
    const launcher: VmLauncher = {
      name: 'vfkit',
      restControlled: true,
      // virtio-fs under vfkit has no read-only export: every job gets its own clone of the snapshot.
      enforcesReadOnlyShares: false,
      launch: (spec, log) => launchVfkit(binary, spec, log),
      failureMessage(exit, stderrTail) {
        const error = stderrTail
          .split('\n')
          .map((line) => /^Error: (.*)$/.exec(line.trim())?.[1])
          .filter(Boolean)
          .pop();
        if (error !== undefined) return `vfkit failed: ${error}`;
        return `vfkit exited with ${exit.code === null ? `signal ${exit.signal}` : `code ${exit.code}`} (see host.log)`;
      },
    };
    return runVmJob(context, launcher, {
      socketDir: shortSocketDir(),
      workspaceMode: context.plan.workspace.mode,
      writableFolders: this.writableFolders,
      keepFailedDisks: this.options.keepFailedDisks === true,
    });
  }
}

/** Starts vfkit with stdin closed and its output in host.log. */
async function launchVfkit(binary: string, spec: VmSpec, log: JobLog): Promise<VmProcess> {
  const args = vfkitArgs(spec);
  await log.detail(
    `vmplan: ${[binary, ...args].map((arg) => (/[\s"]/.test(arg) ? `'${arg}'` : arg)).join(' ')}`,
  );
  // An interactive console: vfkit reads and writes this process's terminal, from its (foreground) group.
  const interactive = spec.console === 'stdio';
  const child = spawn(binary, args, {
    stdio: interactive ? ['inherit', 'inherit', 'pipe'] : ['ignore', 'pipe', 'pipe'],
    detached: !interactive,
  });
  let stderr = '';
  child.stdout?.pipe(log.detailInput());
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-8192);
  });
  child.stderr?.pipe(log.detailInput());
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  if (spawnError !== undefined) throw new Error(`cannot start ${binary}: ${spawnError.message}`);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const waitExit = (ms: number) => Promise.race([exited.then(() => true), sleep(ms).then(() => false)]);
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid!,
    exited,
    stderrTail: () => stderr,
    stop(graceMs) {
      stopping ??= (async () => {
        // HardStop over REST ends the VM at once; vfkit then exits on its own.
        if (!gone() && (await setVfkitState(spec.restSocket, 'HardStop'))) {
          await log.note('vmplan: asked vfkit for a HardStop');
          if (await waitExit(2_000)) return;
        }
        if (!gone()) child.kill('SIGTERM');
        if (await waitExit(graceMs)) return;
        await log.note('vmplan: vfkit did not stop; SIGKILL');
        try {
          if (interactive) child.kill('SIGKILL');
          else process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
        await exited;
      })();
      return stopping;
    },
  };
}

/** The vfkit executor's runtime (see ./descriptor.ts). */
export const runtime: ExecutorRuntime = {
  create(settings) {
    const path = settings.options['vfkit-path'];
    const vfkitPath = typeof path === 'string' && path !== '' ? path : undefined;
    return new VfkitExecutor({
      // A path with a slash is relative to where vmplan was started; a bare name is looked up on PATH.
      vfkitPath: vfkitPath?.includes('/') === true ? resolve(settings.base, vfkitPath) : vfkitPath,
      env: settings.env,
      keepFailedDisks: settings.options['keep-failed-disks'] === true,
    });
  },
  async stopLeftovers(recorded, runDir) {
    const socket = recorded.restSocket;
    // HardStop over its REST socket first, as when vmplan stops a VM itself.
    await stopRecordedProcess(recorded, runDir, {
      first: async () => (socket === null ? undefined : setVfkitState(socket, 'HardStop')),
    });
    // vfkit leaves its socket behind when it is killed; the next vfkit could not bind a stale one.
    if (socket !== null) rmSync(socket, { force: true });
  },
  killLeftoversNow: killRecordedProcessNow,
};
