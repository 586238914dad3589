import { PLAN_DEFAULTS } from '../../plan/build.js';
import type { ExecuteNode } from '../../plan/schema.js';
import type { PreparedImage } from '../contract.js';

/** A folder shared with the guest under a tag (virtio-fs under vfkit; virtiofs or 9p under QEMU). */
export interface VmShare {
  tag: string;
  hostPath: string;
  /** Advisory under vfkit (it always shares read-write): the guest mounts it read-only. */
  readOnly: boolean;
}

/** Everything that describes one job's VM, as plain data: the executors turn it into a command line. */
export interface VmSpec {
  name: string;
  arch: 'arm64' | 'amd64';
  cpus: number;
  memoryMiB: number;
  kernel: string;
  initrd: string;
  /** The whole kernel command line. */
  cmdline: string;
  /** A raw root disk (the job's own copy-on-write clone), or null. */
  disk: string | null;
  shares: VmShare[];
  /** File receiving the guest console (hvc0). */
  consoleLog: string;
  /**
   * `stdio`: the console is this process's own terminal instead of consoleLog (`vmplan shell`): the hypervisor
   * reads and writes it, in this process's group (a background group could not read the terminal).
   */
  console?: 'stdio';
  /** Unix socket of vfkit's REST API (≤ 103 bytes). */
  restSocket: string;
  pidFile: string;
  /** NAT networking for the guest. */
  network: boolean;
}

/** Share tags of the guest protocol (docs/guest-protocol.md). */
export const SHARE_TAGS = { job: 'vmplan-job', work: 'vmplan-work', inputs: 'vmplan-inputs' } as const;
/** Tag prefix of a job's caches: `vmplan-cache-<name>` (names of at most 22 bytes keep tags under 36). */
export const CACHE_TAG_PREFIX = 'vmplan-cache-';

/** Kernel arguments every vmplan guest boots with: the console on hvc0, and a panic ends the VM at once. */
export const BASE_CMDLINE = 'console=hvc0 panic=-1';

/** Builds the VM spec of an execute node from its prepared image and the host paths the job uses. */
export function buildVmSpec(input: {
  node: ExecuteNode;
  image: PreparedImage;
  jobShare: string;
  workShare: string;
  workShareWritable: boolean;
  /** The outputs of the jobs it needs, laid over the snapshot by the guest (overlay mode); absent without any. */
  inputsShare?: string | undefined;
  disk: string | null;
  consoleLog: string;
  restSocket: string;
  pidFile: string;
  /** Host folders of the job's caches, by cache name. */
  caches?: { name: string; hostPath: string }[];
  /** NAT networking (default); false: no network device at all. */
  network?: boolean;
  /** The console on this process's terminal (an interactive shell). */
  interactive?: boolean;
}): VmSpec {
  const { node, image } = input;
  return {
    name: node.job,
    arch: image.arch,
    cpus: node.cpus ?? PLAN_DEFAULTS.cpus,
    memoryMiB: node.memory ?? PLAN_DEFAULTS.memory,
    kernel: image.kernel,
    initrd: image.initrd,
    cmdline: [BASE_CMDLINE, image.cmdline ?? ''].join(' ').trim(),
    disk: input.disk,
    shares: [
      { tag: SHARE_TAGS.job, hostPath: input.jobShare, readOnly: false },
      { tag: SHARE_TAGS.work, hostPath: input.workShare, readOnly: !input.workShareWritable },
      ...(input.inputsShare === undefined
        ? []
        : [{ tag: SHARE_TAGS.inputs, hostPath: input.inputsShare, readOnly: true }]),
      ...(input.caches ?? []).map((cache) => ({
        tag: `${CACHE_TAG_PREFIX}${cache.name}`,
        hostPath: cache.hostPath,
        readOnly: false,
      })),
    ],
    consoleLog: input.consoleLog,
    restSocket: input.restSocket,
    pidFile: input.pidFile,
    network: input.network ?? true,
    ...(input.interactive === true ? { console: 'stdio' as const } : {}),
  };
}

/**
 * Addresses a hypervisor's NAT always gives its guest (QEMU's user network, pinned on its command line): the
 * agent sets them itself instead of asking DHCP, which under emulation costs a round trip and several processes.
 */
export interface StaticNetwork {
  /** The guest's address with its prefix length, e.g. 10.0.2.15/24. */
  address: string;
  gateway: string;
  dns: string;
}
