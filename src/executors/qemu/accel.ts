import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../util/atomic-write.js';
import { qemuArgs, qemuBinary } from './args.js';

/** The guest architecture this host runs natively. */
export function hostArch(): 'arm64' | 'amd64' | undefined {
  return process.arch === 'arm64' ? 'arm64' : process.arch === 'x64' ? 'amd64' : undefined;
}

/** Why KVM cannot be used, from what the machine says without booting anything; undefined when it may work. */
export function kvmBlocker(arch: 'arm64' | 'amd64'): string | undefined {
  if (hostArch() !== arch) return `the guest is ${arch} and the host ${process.arch}: emulated (TCG)`;
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return 'no usable /dev/kvm';
  }
  if (arch === 'amd64') {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    // /dev/kvm can exist without hardware virtualization (e.g. a paravirtual KVM in a cloud VM): check the flags.
    if (!/^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo)) return 'the CPU flags have no vmx/svm';
  }
  return undefined;
}

/**
 * Boots the kernel under KVM with an init that does not exist: a working KVM panics and exits in about a
 * second; a broken one (nested virtualization gone wrong) crawls and misses the deadline.
 */
export async function kvmProbeBoot(
  arch: 'arm64' | 'amd64',
  kernel: string,
  initrd: string,
  deadlineMs = 20_000,
): Promise<boolean | undefined> {
  const args = qemuArgs(
    {
      name: 'kvm-probe',
      arch,
      cpus: 1,
      memoryMiB: 256,
      kernel,
      initrd,
      cmdline: 'panic=-1 rdinit=/vmplan-kvm-probe-no-such-init',
      disk: null,
      shares: [],
      consoleLog: '/dev/null',
      restSocket: '',
      pidFile: join(tmpdir(), `vmplan-kvm-probe-${process.pid}.pid`),
      network: false,
    },
    { accel: 'kvm', shares: '9p' },
  );
  const child = spawn(qemuBinary(arch), args, { stdio: 'ignore' });
  const exited = new Promise<number | null | 'no-start'>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve('no-start'));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
  const started = Date.now();
  const code = await exited;
  clearTimeout(timer);
  // QEMU that cannot start says nothing about KVM: no verdict (and nothing to cache).
  if (code === 'no-start') return undefined;
  return code === 0 && Date.now() - started < deadlineMs;
}

/** The accelerator for a guest: KVM when it is present and a probe boot proves it works (cached), else TCG. */
export async function chooseAccel(
  arch: 'arm64' | 'amd64',
  probe: { kernel: string; initrd: string },
  cacheDir: string,
  probeBoot: typeof kvmProbeBoot = kvmProbeBoot,
  blockerOf: typeof kvmBlocker = kvmBlocker,
): Promise<{ accel: 'kvm' | 'tcg'; reason: string }> {
  const blocker = blockerOf(arch);
  if (blocker !== undefined) return { accel: 'tcg', reason: blocker };
  const cacheFile = join(cacheDir, 'qemu-accel.json');
  const key = `${arch}:${release()}`;
  let cache: Record<string, boolean> = {};
  try {
    cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, boolean>;
  } catch {
    // no cache yet
  }
  if (cache[key] === undefined) {
    const verdict = await probeBoot(arch, probe.kernel, probe.initrd);
    if (verdict === undefined) return { accel: 'tcg', reason: 'the KVM probe boot could not start QEMU' };
    cache[key] = verdict;
    writeJsonAtomic(cacheFile, cache);
  }
  return cache[key]
    ? { accel: 'kvm', reason: 'KVM probe boot succeeded' }
    : { accel: 'tcg', reason: `KVM is present but a probe boot failed (cached in ${cacheFile})` };
}
