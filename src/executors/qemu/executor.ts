import { spawnSync } from 'node:child_process';
import { InputError } from '../../errors.js';
import { executorsUsing } from '../../plan/image-users.js';
import type { Plan } from '../../plan/schema.js';
import { processGroupLeftovers } from '../../process/ownership.js';
import { shortSocketDir } from '../../util/short-socket-dir.js';
import type { JobContext, JobExecutor, JobOutcome } from '../contract.js';
import type { ExecutorRuntime } from '../descriptor.js';
import { runVmJob, type VmLauncher } from '../vm/vm-job.js';
import { chooseAccel } from './accel.js';
import { QEMU_USER_NETWORK, qemuBinary } from './args.js';
import { findVirtiofsd, startQemuVm } from './vm.js';

/** Package that provides each QEMU binary on Debian/Ubuntu, for error messages. */
const QEMU_PACKAGES = { arm64: 'qemu-system-arm', amd64: 'qemu-system-x86' } as const;

/**
 * Runs jobs in QEMU VMs on Linux runners: the same guest protocol as vfkit, KVM when a probe boot shows it
 * works, TCG emulation otherwise; shares over virtiofs (virtiofsd) or 9p.
 */
export class QemuExecutor implements JobExecutor {
  readonly name = 'qemu' as const;
  private readonly writableFolders = new Map<string, Promise<void>>();

  constructor(private readonly options: { cacheDir: string; keepFailedDisks?: boolean }) {}

  async preflight(plan: Plan): Promise<void> {
    const archs = new Set(
      plan.nodes.flatMap((node) =>
        node.kind === 'prepare' && executorsUsing(plan, node).includes('qemu') ? [node.arch] : [],
      ),
    );
    const missing = [...archs].filter(
      (arch) => spawnSync(qemuBinary(arch), ['--version'], { stdio: 'ignore' }).status !== 0,
    );
    if (missing.length > 0) {
      throw new InputError(
        missing.map((arch) => ({
          message: `${qemuBinary(arch)} is not installed (needed for ${arch} guests): apt-get install ${QEMU_PACKAGES[arch]}`,
        })),
      );
    }
  }

  /** The accelerator per guest architecture, decided once per run (parallel first jobs share one probe). */
  private readonly accels = new Map<string, ReturnType<typeof chooseAccel>>();
  /** virtiofsd, looked up once (it runs `--version` on each candidate). */
  private virtiofsd: { found: ReturnType<typeof findVirtiofsd> } | undefined;

  async runJob(context: JobContext): Promise<JobOutcome> {
    const socketDir = shortSocketDir();
    const cacheDir = this.options.cacheDir;
    // VMPLAN_QEMU_SHARES=9p: 9p even where virtiofsd exists (a broken virtiofsd, or to compare the two).
    this.virtiofsd ??= { found: process.env.VMPLAN_QEMU_SHARES === '9p' ? undefined : findVirtiofsd() };
    const virtiofsd = this.virtiofsd.found;
    const accels = this.accels;
    const launcher: VmLauncher = {
      name: 'qemu',
      restControlled: false,
      // 9p shares are exported with readonly=on: QEMU itself refuses the guest's writes. virtiofsd has no such mode.
      enforcesReadOnlyShares: virtiofsd === undefined,
      // virtiofsd runs as root: without CAP_MKNOD it makes no device node, but it keeps a guest's chmod u+s.
      sharesKeepSetId: virtiofsd !== undefined,
      staticNetwork: QEMU_USER_NETWORK,
      async launch(spec, log) {
        if (!accels.has(spec.arch)) accels.set(spec.arch, chooseAccel(spec.arch, spec, cacheDir));
        const { accel, reason } = await accels.get(spec.arch)!;
        await log.note(
          `vmplan: ${spec.arch} guest with ${accel.toUpperCase()} (${reason}); shares over ${virtiofsd === undefined ? '9p' : 'virtiofs'}`,
        );
        const vm = await startQemuVm(spec, {
          accel,
          virtiofsd,
          socketDir,
          output: { stream: () => log.detailInput() },
        });
        await log.detail(`vmplan: ${vm.command.join(' ')}`);
        return vm;
      },
      failureMessage(exit, stderrTail) {
        const line = stderrTail
          .trim()
          .split('\n')
          .filter((text) => text.startsWith('qemu-system'))
          .pop();
        return (
          line ?? `QEMU exited with ${exit.code === null ? `signal ${exit.signal}` : `code ${exit.code}`}`
        );
      },
    };
    return runVmJob(context, launcher, {
      socketDir,
      workspaceMode: context.plan.workspace.mode,
      writableFolders: this.writableFolders,
      keepFailedDisks: this.options.keepFailedDisks === true,
    });
  }
}

/** The qemu executor's runtime (see ./descriptor.ts). */
export const runtime: ExecutorRuntime = {
  create: (settings) =>
    new QemuExecutor({
      cacheDir: settings.cacheDir,
      keepFailedDisks: settings.options['keep-failed-disks'] === true,
    }),
  ...processGroupLeftovers,
};
