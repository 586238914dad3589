import { InternalError } from '../../errors.js';
import type { StaticNetwork, VmShare, VmSpec } from '../vm/vm-spec.js';

/** How a QEMU VM is accelerated and how it shares folders. */
export interface QemuOptions {
  accel: 'kvm' | 'tcg';
  /** virtiofs (one virtiofsd per share, as vfkit's virtio-fs) or 9p (no helper; QEMU enforces read-only). */
  shares: 'virtiofs' | '9p';
  /** virtiofsd socket per share tag (virtiofs only). */
  virtiofsSockets?: Record<string, string>;
}

/** QEMU's user network as vmplan pins it (its defaults, written out so the agent can rely on them). */
export const QEMU_USER_NETWORK: StaticNetwork = {
  address: '10.0.2.15/24',
  gateway: '10.0.2.2',
  dns: '10.0.2.3',
};

/** The QEMU binary for a guest architecture. */
export function qemuBinary(arch: VmSpec['arch']): string {
  return arch === 'arm64' ? 'qemu-system-aarch64' : 'qemu-system-x86_64';
}

/** QEMU option values escape a comma by doubling it. */
function value(text: string): string {
  return text.replaceAll(',', ',,');
}

/**
 * The QEMU command line for a VM spec: the same devices vfkit gives a guest as far as QEMU has them — a virtio
 * console on hvc0 written to a file, virtio-rng, virtio-blk, shares with the same tags, NAT networking — with no
 * graphics and no reboot (a guest power-off or panic ends QEMU).
 */
export function qemuArgs(spec: VmSpec, options: QemuOptions): string[] {
  const machine = spec.arch === 'arm64' ? 'virt' : 'q35';
  const memoryBackend = options.shares === 'virtiofs';
  const args = [
    '-M',
    memoryBackend ? `${machine},memory-backend=mem` : machine,
    '-accel',
    options.accel,
    ...cpuArgs(spec.arch, options.accel),
    '-m',
    `${spec.memoryMiB}M`,
    '-smp',
    String(spec.cpus),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-no-reboot',
    '-kernel',
    spec.kernel,
    '-initrd',
    spec.initrd,
    '-append',
    spec.cmdline,
  ];
  if (memoryBackend) args.push('-object', `memory-backend-memfd,id=mem,size=${spec.memoryMiB}M,share=on`);
  // signal=off: Ctrl-C typed in an interactive console goes to the guest, not to QEMU.
  const chardev =
    spec.console === 'stdio'
      ? 'stdio,id=console0,signal=off'
      : `file,id=console0,path=${value(spec.consoleLog)}`;
  args.push('-device', 'virtio-serial-pci', '-chardev', chardev);
  args.push('-device', 'virtconsole,chardev=console0', '-device', 'virtio-rng-pci');
  if (spec.disk !== null) {
    args.push(
      '-drive',
      `file=${value(spec.disk)},format=raw,if=none,id=disk0`,
      '-device',
      'virtio-blk-pci,drive=disk0',
    );
  }
  spec.shares.forEach((share, index) => {
    args.push(...shareArgs(share, index, options));
  });
  if (spec.network) {
    const { address, gateway, dns } = QEMU_USER_NETWORK;
    const netdev = `user,id=net0,net=${address.replace(/\.\d+\//, '.0/')},host=${gateway},dns=${dns},dhcpstart=${address.split('/')[0]}`;
    args.push('-netdev', netdev, '-device', 'virtio-net-pci,netdev=net0');
  }
  args.push('-pidfile', spec.pidFile);
  return args;
}

function cpuArgs(arch: VmSpec['arch'], accel: QemuOptions['accel']): string[] {
  if (accel === 'kvm') return ['-cpu', 'host'];
  // cortex-a57 emulates several times faster than -cpu max (measured: 4 s vs 14-18 s to boot).
  return arch === 'arm64' ? ['-cpu', 'cortex-a57'] : [];
}

function shareArgs(share: VmShare, index: number, options: QemuOptions): string[] {
  if (options.shares === 'virtiofs') {
    const socket = options.virtiofsSockets?.[share.tag];
    if (socket === undefined) throw new InternalError(`no virtiofsd socket for share ${share.tag}`);
    return [
      '-chardev',
      `socket,id=fs${index},path=${value(socket)}`,
      '-device',
      `vhost-user-fs-pci,chardev=fs${index},tag=${value(share.tag)}`,
    ];
  }
  return [
    '-fsdev',
    `local,id=fs${index},path=${value(share.hostPath)},${ninePModel(share.readOnly)}`,
    '-device',
    `virtio-9p-pci,fsdev=fs${index},mount_tag=${value(share.tag)}`,
  ];
}

/**
 * A writable 9p share is `mapped-xattr`: QEMU creates every file as itself with a plain mode (0755 files, so a
 * built program stays runnable on the host) and keeps the guest's owner, mode and special files in xattrs, so
 * a root guest's `mknod` or `chmod u+s` never makes a device node or a set-id file on the host. A read-only
 * share (`readonly=on`, enforced by QEMU) shows the host's owners and modes as they are.
 */
function ninePModel(readOnly: boolean): string {
  return readOnly ? 'security_model=none,readonly=on' : 'security_model=mapped-xattr,fmode=0755,dmode=0755';
}
