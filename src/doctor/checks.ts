import { z } from 'zod';
import { MIN_VFKIT_VERSION, parseVfkitVersion } from '../executors/vfkit/executor.js';
import { formatBytes } from '../util/bytes.js';

// What `vmplan doctor` concludes from what it found on the host. Pure: the facts (command outputs, paths, sizes)
// are gathered elsewhere (facts.ts), so every conclusion is tested against recorded outputs from real Macs.

/** What doctor found on the host: raw command outputs and paths, not yet judged. */
export const HostFactsSchema = z.strictObject({
  platform: z.string(),
  arch: z.string(),
  /** `sysctl -n sysctl.proc_translated` on macOS: "1" under Rosetta. */
  translated: z.string().optional(),
  /** `sw_vers -productVersion` on macOS. */
  macosVersion: z.string().optional(),
  /** Which executors the checks are for (doctor: all that can run here; a run: the plan's). */
  executors: z.array(z.string()),
  vfkit: z
    .strictObject({
      path: z.string().optional(),
      versionOutput: z.string().optional(),
      /** `codesign -d --entitlements - PATH` (stdout and stderr). */
      entitlementsOutput: z.string().optional(),
    })
    .optional(),
  /** The runner's install folder and `bin/Runner.Listener --version`. */
  runner: z
    .strictObject({
      dir: z.string(),
      versionOutput: z.string().optional(),
      /** What is not there: the folder itself, or its bin/Runner.Listener. */
      missing: z.enum(['folder', 'listener']).optional(),
    })
    .optional(),
  /** What `vmplan image build` needs (Linux only): each tool's path or null, and whether this is root. */
  imageBuild: z
    .strictObject({ tools: z.record(z.string(), z.string().nullable()), root: z.boolean() })
    .optional(),
  kvm: z.strictObject({ usable: z.boolean(), why: z.string().optional() }).optional(),
  qemu: z.array(z.strictObject({ binary: z.string(), versionOutput: z.string().optional() })).optional(),
  virtiofsd: z.string().nullable().optional(),
  folders: z.array(
    z.strictObject({
      what: z.string(),
      path: z.string(),
      freeBytes: z.number().optional(),
      problem: z.string().optional(),
      /** Emptied by the runner before and after every job. */
      underRunnerTemp: z.boolean(),
      /** Meant to outlive runs (the cache folder). */
      persistent: z.boolean(),
    }),
  ),
});
/** What doctor found on the host. */
export type HostFacts = z.infer<typeof HostFactsSchema>;

/** One conclusion: what was checked, how it went, and how to fix it. */
export interface Check {
  id: string;
  status: 'ok' | 'warn' | 'fail';
  /** What was found, in words. */
  summary: string;
  /** What to do about it (warn and fail only). */
  fix?: string;
}

/** The oldest runner that runs node24 actions (2.327.1); GitHub refuses runners older than 2.329.0 since 2026-03-02. */
export const MIN_RUNNER_VERSION = [2, 329, 0] as const;

/** The oldest macOS vfkit's Linux guest features need. */
export const MIN_MACOS_MAJOR = 13;

/** Free space below which doctor warns (a run with VM jobs needs 2 GB by default). */
export const LOW_FREE_BYTES = 10e9;

/** Every check that applies to these facts, in a fixed order. */
export function checkHost(facts: HostFacts): Check[] {
  const checks: Check[] = [];
  if (facts.platform === 'darwin') checks.push(...macChecks(facts));
  if (facts.executors.includes('vfkit')) checks.push(...vfkitChecks(facts));
  if (facts.executors.includes('qemu')) checks.push(...qemuChecks(facts));
  if (facts.runner !== undefined) checks.push(runnerCheck(facts.runner));
  if (facts.imageBuild !== undefined) checks.push(imageBuildCheck(facts.imageBuild));
  checks.push(...folderChecks(facts));
  return checks;
}

function macChecks(facts: HostFacts): Check[] {
  const checks: Check[] = [];
  const major = Number(facts.macosVersion?.trim().split('.')[0]);
  checks.push(
    Number.isNaN(major) || facts.macosVersion === undefined
      ? { id: 'macos', status: 'warn', summary: 'cannot tell the macOS version (sw_vers gave nothing)' }
      : major >= MIN_MACOS_MAJOR
        ? { id: 'macos', status: 'ok', summary: `macOS ${facts.macosVersion.trim()}` }
        : {
            id: 'macos',
            status: 'fail',
            summary: `macOS ${facts.macosVersion.trim()} is too old for vfkit's Linux guests`,
            fix: `update to macOS ${MIN_MACOS_MAJOR} or newer`,
          },
  );
  if (facts.translated?.trim() === '1')
    checks.push({
      id: 'apple-silicon',
      status: 'fail',
      summary: 'vmplan runs under Rosetta (an x64 Node on Apple silicon): vfkit would be started as x64',
      fix: 'use an arm64 Node (the runner for macOS ARM64, or Homebrew on /opt/homebrew)',
    });
  else
    checks.push(
      facts.arch === 'arm64'
        ? { id: 'apple-silicon', status: 'ok', summary: 'Apple silicon' }
        : {
            id: 'apple-silicon',
            status: 'fail',
            summary: 'an Intel Mac: vmplan boots arm64 guests, which need Apple silicon',
            fix: 'run vmplan on an Apple silicon Mac (M1 or newer)',
          },
    );
  return checks;
}

function vfkitChecks(facts: HostFacts): Check[] {
  const vfkit = facts.vfkit;
  if (vfkit?.path === undefined && facts.platform !== 'darwin')
    return [
      {
        id: 'vfkit',
        status: 'fail',
        summary: `vfkit needs macOS (Apple's Virtualization framework); this is ${facts.platform}`,
        fix: 'run vfkit jobs on an Apple silicon Mac; here, use the qemu executor (--executor qemu)',
      },
    ];
  if (vfkit?.path === undefined)
    return [
      {
        id: 'vfkit',
        status: 'fail',
        summary: 'vfkit is not installed (or not on PATH)',
        fix: 'brew install vfkit (or give --vfkit-path / the vfkit-path input)',
      },
    ];
  const version = parseVfkitVersion(vfkit.versionOutput ?? '');
  const minimum = MIN_VFKIT_VERSION.join('.');
  const checks: Check[] = [
    version === undefined
      ? {
          id: 'vfkit',
          status: 'fail',
          summary: `cannot tell the version of ${vfkit.path} (vfkit --version printed ${JSON.stringify((vfkit.versionOutput ?? '').trim().slice(0, 60))})`,
          fix: 'install a vfkit release: brew install vfkit',
        }
      : compareVersions(version, MIN_VFKIT_VERSION) < 0
        ? {
            id: 'vfkit',
            status: 'fail',
            summary: `vfkit ${version.join('.')} at ${vfkit.path} is too old (vmplan needs ${minimum} or newer)`,
            fix: 'brew upgrade vfkit',
          }
        : { id: 'vfkit', status: 'ok', summary: `vfkit ${version.join('.')} at ${vfkit.path}` },
  ];
  if (facts.platform === 'darwin') checks.push(entitlementCheck(vfkit.path, vfkit.entitlementsOutput ?? ''));
  return checks;
}

/** Whether codesign's output grants the virtualization entitlement (new `[Key]/[Bool]` or old XML plist form). */
export function hasVirtualizationEntitlement(output: string): boolean {
  const at = output.indexOf('com.apple.security.virtualization');
  if (at === -1) return false;
  // The key's value is the first boolean after it.
  const value = /\[Bool\]\s*(true|false)|<(true|false)\s*\/>/.exec(output.slice(at));
  return (value?.[1] ?? value?.[2]) === 'true';
}

function entitlementCheck(path: string, output: string): Check {
  if (hasVirtualizationEntitlement(output))
    return {
      id: 'vfkit-entitlement',
      status: 'ok',
      summary: 'vfkit is signed with com.apple.security.virtualization',
    };
  return {
    id: 'vfkit-entitlement',
    status: 'fail',
    summary: `${path} is not signed with the com.apple.security.virtualization entitlement: macOS will refuse to start its VMs`,
    fix: "install Homebrew's build (brew install vfkit), or sign yours: codesign --entitlements vf.entitlements -s - PATH",
  };
}

function qemuChecks(facts: HostFacts): Check[] {
  const checks: Check[] = [];
  for (const qemu of facts.qemu ?? []) {
    const version = /version (\d+\.\d+(?:\.\d+)?)/.exec(qemu.versionOutput ?? '')?.[1];
    const packageName = qemu.binary.includes('aarch64') ? 'qemu-system-arm' : 'qemu-system-x86';
    checks.push(
      version === undefined
        ? {
            id: qemu.binary,
            status: 'warn',
            summary: `${qemu.binary} is not installed: guests of that architecture cannot boot here`,
            fix: `apt-get install ${packageName}`,
          }
        : { id: qemu.binary, status: 'ok', summary: `${qemu.binary} (QEMU ${version})` },
    );
  }
  if (facts.kvm !== undefined)
    checks.push(
      facts.kvm.usable
        ? { id: 'kvm', status: 'ok', summary: '/dev/kvm is usable: native guests run at hardware speed' }
        : {
            id: 'kvm',
            status: 'warn',
            summary: `no KVM (${facts.kvm.why ?? 'unknown'}): guests run emulated (TCG), many times slower`,
            fix: 'give the runner user access to /dev/kvm (the kvm group), or run on a machine with virtualization',
          },
    );
  if (facts.virtiofsd !== undefined)
    checks.push(
      facts.virtiofsd === null
        ? {
            id: 'virtiofsd',
            status: 'warn',
            summary: 'no usable virtiofsd: folders are shared over 9p (slower for many small files)',
            fix: 'install virtiofsd (Debian: the qemu-system-common package ships one that runs as root)',
          }
        : { id: 'virtiofsd', status: 'ok', summary: `virtiofsd at ${facts.virtiofsd}` },
    );
  return checks;
}

/** The tools `vmplan image build` runs, by the package that has them on Debian and Ubuntu. */
export const IMAGE_BUILD_TOOLS: Readonly<Record<string, string>> = {
  'apt-get': 'apt',
  'dpkg-deb': 'dpkg',
  mmdebstrap: 'mmdebstrap',
  cpio: 'cpio',
  depmod: 'kmod',
  'mkfs.ext4': 'e2fsprogs',
};

/** Image builds (`vmplan image build debian|test-guest`): their tools, and root for a Debian root disk. */
function imageBuildCheck(build: NonNullable<HostFacts['imageBuild']>): Check {
  const missing = Object.keys(IMAGE_BUILD_TOOLS).filter((tool) => (build.tools[tool] ?? null) === null);
  if (missing.length > 0)
    return {
      id: 'image-build',
      status: 'warn',
      summary: `vmplan image build needs ${missing.join(', ')}: not found`,
      fix: `sudo apt-get install ${[...new Set(missing.map((tool) => IMAGE_BUILD_TOOLS[tool]))].join(' ')}`,
    };
  if (!build.root)
    return {
      id: 'image-build',
      status: 'warn',
      summary: 'vmplan image build debian needs root (it builds a Debian root file system); this is not root',
      fix: 'run image builds as root (sudo vmplan image build debian …, or a build image on a root runner)',
    };
  return { id: 'image-build', status: 'ok', summary: 'image build tools: all found, running as root' };
}

/** `Runner.Listener --version` prints e.g. `2.329.0`. */
export function parseRunnerVersion(output: string): [number, number, number] | undefined {
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(output);
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])];
}

function runnerCheck(runner: NonNullable<HostFacts['runner']>): Check {
  if (runner.missing === 'folder')
    return {
      id: 'runner',
      status: 'fail',
      summary: `the runner folder ${runner.dir} does not exist`,
      fix: "give --runner-dir the runner's install folder (the one with run.sh and bin/Runner.Listener)",
    };
  if (runner.missing === 'listener')
    return {
      id: 'runner',
      status: 'fail',
      summary: `${runner.dir} is not a runner's install folder (no bin/Runner.Listener)`,
      fix: "give --runner-dir the runner's install folder (the one with run.sh and bin/Runner.Listener)",
    };
  const version = parseRunnerVersion(runner.versionOutput ?? '');
  const minimum = MIN_RUNNER_VERSION.join('.');
  if (version === undefined)
    return {
      id: 'runner',
      status: 'warn',
      summary: `cannot tell the runner's version in ${runner.dir}`,
      fix: `make sure the runner is ${minimum} or newer (node24 actions need 2.327.1; GitHub refuses older than 2.329.0)`,
    };
  return compareVersions(version, MIN_RUNNER_VERSION) < 0
    ? {
        id: 'runner',
        status: 'fail',
        summary: `the runner in ${runner.dir} is ${version.join('.')}: node24 actions need 2.327.1, and GitHub refuses runners older than 2.329.0`,
        fix: `update the runner to ${minimum} or newer (it updates itself when allowed; or download a release)`,
      }
    : { id: 'runner', status: 'ok', summary: `runner ${version.join('.')} in ${runner.dir}` };
}

function folderChecks(facts: HostFacts): Check[] {
  const checks: Check[] = [];
  for (const folder of facts.folders) {
    const id = `${folder.what.replace(/ /g, '-')}`;
    if (folder.problem !== undefined) {
      checks.push({ id, status: 'fail', summary: `${folder.what} ${folder.path}: ${folder.problem}` });
      continue;
    }
    if (folder.persistent && folder.underRunnerTemp) {
      checks.push({
        id,
        status: 'warn',
        summary: `${folder.what} ${folder.path} is under RUNNER_TEMP, which the runner empties before and after every job: images and caches would never be reused`,
        fix: 'leave cache-dir empty (the per-user cache folder) or point it outside RUNNER_TEMP',
      });
      continue;
    }
    const free = folder.freeBytes;
    checks.push(
      free !== undefined && free < LOW_FREE_BYTES
        ? {
            id,
            status: 'warn',
            summary: `${folder.what} ${folder.path}: only ${formatBytes(free)} free`,
            fix: 'free space, or prune: vmplan gc --keep 20 --max-size 20GB',
          }
        : {
            id,
            status: 'ok',
            summary: `${folder.what} ${folder.path}${free === undefined ? '' : `: ${formatBytes(free)} free`}`,
          },
    );
  }
  return checks;
}

/** Negative, zero or positive as `a` is older than, the same as or newer than `b`. */
function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

const MARKS = { ok: '✔', warn: '!', fail: '✘' } as const;

/** Doctor's report for a terminal: one line per check, a fix under each problem, and a verdict. */
export function renderChecks(checks: readonly Check[]): string {
  const lines = checks.flatMap((check) => [
    `${MARKS[check.status]} ${check.summary}`,
    ...(check.fix === undefined || check.status === 'ok' ? [] : [`    fix: ${check.fix}`]),
  ]);
  return `${lines.join('\n')}\n\n${verdict(checks)}\n`;
}

/** Doctor's report for a job summary (Markdown): the problems first, then what is fine. */
export function checksMarkdown(checks: readonly Check[]): string {
  const order = { fail: 0, warn: 1, ok: 2 } as const;
  const rows = [...checks]
    .sort((a, b) => order[a.status] - order[b.status])
    .map(
      (check) =>
        `| ${MARKS[check.status]} | ${check.summary.replaceAll('|', '\\|')} | ${(check.fix ?? '').replaceAll('|', '\\|')} |`,
    );
  return `### vmplan doctor: ${verdict(checks)}\n\n| | found | fix |\n| --- | --- | --- |\n${rows.join('\n')}\n`;
}

/** `3 checks passed`, or how many problems there are. */
export function verdict(checks: readonly Check[]): string {
  const failed = checks.filter((check) => check.status === 'fail').length;
  const warned = checks.filter((check) => check.status === 'warn').length;
  if (failed > 0)
    return `${failed} problem(s) stop vmplan on this host${warned > 0 ? `, ${warned} warning(s)` : ''}`;
  return warned > 0 ? `ready, with ${warned} warning(s)` : `ready (${checks.length} checks passed)`;
}
