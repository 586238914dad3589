import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { kvmBlocker } from '../executors/qemu/accel.js';
import { findVirtiofsd } from '../executors/qemu/vm.js';
import { findExecutable } from '../executors/vfkit/executor.js';
import { freeBytes } from '../util/disk.js';
import { type HostFacts, IMAGE_BUILD_TOOLS } from './checks.js';

/** Where doctor looks, and for which executors. */
export interface FactOptions {
  executors: string[];
  env: NodeJS.ProcessEnv;
  vfkitPath?: string;
  /** The runner's install folder, when known; else it is looked for (see findRunnerDir). */
  runnerDir?: string;
  folders: { what: string; path: string; persistent: boolean }[];
  /** Also look for what image builds need (doctor; the action's preflight does not build images). */
  imageBuild?: boolean;
}

/** Runs a command for its output (stdout and stderr), or undefined when it cannot run; never longer than 10 s. */
function output(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  if (result.error !== undefined) return undefined;
  return `${result.stdout ?? ''}${result.stderr ?? ''}`;
}

/** Gathers what the checks judge: command outputs, paths and free space. Runs nothing that changes the host. */
export function gatherFacts(options: FactOptions): HostFacts {
  const { env } = options;
  const facts: HostFacts = {
    platform: process.platform,
    arch: process.arch,
    executors: options.executors,
    folders: options.folders.map((folder) => folderFacts(folder, env.RUNNER_TEMP)),
  };
  if (process.platform === 'darwin') {
    facts.macosVersion = output('sw_vers', ['-productVersion']) ?? '';
    facts.translated = output('sysctl', ['-n', 'sysctl.proc_translated']) ?? '';
  }
  if (options.executors.includes('vfkit')) {
    const path = findExecutable(options.vfkitPath ?? 'vfkit', env);
    facts.vfkit =
      path === undefined
        ? {}
        : {
            path,
            versionOutput: output(path, ['--version']) ?? '',
            ...(process.platform === 'darwin'
              ? { entitlementsOutput: output('codesign', ['-d', '--entitlements', '-', path]) ?? '' }
              : {}),
          };
  }
  if (options.executors.includes('qemu')) {
    facts.qemu = ['qemu-system-aarch64', 'qemu-system-x86_64'].map((binary) => {
      const path = findExecutable(binary, env);
      const versionOutput = path === undefined ? undefined : output(path, ['--version']);
      return versionOutput === undefined ? { binary } : { binary, versionOutput };
    });
    const native = process.arch === 'arm64' ? 'arm64' : 'amd64';
    const why = process.platform === 'linux' ? kvmBlocker(native) : 'not Linux';
    facts.kvm = why === undefined ? { usable: true } : { usable: false, why };
    facts.virtiofsd = findVirtiofsd()?.path ?? null;
  }
  const runnerDir = options.runnerDir ?? findRunnerDir(env);
  if (runnerDir !== undefined) facts.runner = runnerFacts(runnerDir);
  if (options.imageBuild === true && process.platform === 'linux') facts.imageBuild = imageBuildFacts(env);
  return facts;
}

/** The runner folder: whether it and its Runner.Listener exist, and what `Runner.Listener --version` says. */
function runnerFacts(dir: string): NonNullable<HostFacts['runner']> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return { dir, missing: 'folder' };
  const listener = join(dir, 'bin', 'Runner.Listener');
  if (!existsSync(listener)) return { dir, missing: 'listener' };
  const versionOutput = output(listener, ['--version']);
  return versionOutput === undefined ? { dir } : { dir, versionOutput };
}

/** Where each image build tool is (PATH; depmod and mkfs.ext4 also in /sbin, as the guest scripts look). */
function imageBuildFacts(env: NodeJS.ProcessEnv): NonNullable<HostFacts['imageBuild']> {
  const tools: Record<string, string | null> = {};
  for (const tool of Object.keys(IMAGE_BUILD_TOOLS)) {
    const found =
      tool === 'mmdebstrap'
        ? (findExecutable('mmdebstrap', env) ?? findExecutable('debootstrap', env))
        : findExecutable(tool, env);
    const sbin =
      tool === 'depmod' ? ['/sbin/depmod', '/usr/sbin/depmod'].find((path) => existsSync(path)) : undefined;
    tools[tool] = found ?? sbin ?? null;
  }
  return { tools, root: process.getuid?.() === 0 };
}

/**
 * The GitHub Actions runner's install folder, when vmplan runs under one: an ancestor of the Node running it (the
 * runner's own `externals/node24`), or two levels above RUNNER_WORKSPACE (`<runner>/_work/<repo>`).
 */
export function findRunnerDir(env: NodeJS.ProcessEnv): string | undefined {
  const candidates: string[] = [];
  let folder = dirname(process.execPath);
  for (let i = 0; i < 5; i++) {
    candidates.push(folder);
    folder = dirname(folder);
  }
  if (env.RUNNER_WORKSPACE !== undefined) candidates.push(resolve(env.RUNNER_WORKSPACE, '..', '..'));
  return candidates.find((dir) => existsSync(join(dir, 'bin', 'Runner.Listener')));
}

function folderFacts(
  folder: { what: string; path: string; persistent: boolean },
  runnerTemp: string | undefined,
): HostFacts['folders'][number] {
  const inside = runnerTemp === undefined ? undefined : relative(resolve(runnerTemp), resolve(folder.path));
  const underRunnerTemp = inside !== undefined && !inside.startsWith('..') && !isAbsolute(inside);
  const base = { what: folder.what, path: folder.path, persistent: folder.persistent, underRunnerTemp };
  // The folder, or the nearest folder above it that exists (it will be created there).
  let existing = folder.path;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    if (!statSync(existing).isDirectory()) return { ...base, problem: `${existing} is a file, not a folder` };
    accessSync(existing, constants.W_OK);
  } catch {
    return { ...base, problem: `${existing} is not writable by this user` };
  }
  return { ...base, freeBytes: freeBytes(existing) };
}
