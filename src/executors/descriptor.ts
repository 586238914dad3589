import type { JobExecutor } from './contract.js';

/** Guest CPU architectures vmplan knows (the jobs file's `arch`). */
export const GUEST_ARCHS = ['arm64', 'amd64'] as const;
/** A guest CPU architecture. */
export type GuestArch = (typeof GUEST_ARCHS)[number];

/** A process (group) or VM running for a node, as its record keeps it. */
export interface RunningProcess {
  pid: number;
  /** True when pid leads a process group of its own (everything it started is in the group). */
  group: boolean;
  /** A control socket the executor can stop the process through (vfkit's REST API), or null. */
  restSocket: string | null;
  /** The cgroup holding everything the process started (Linux host jobs), or null/absent. */
  cgroup?: string | null;
}

/** A setting an executor offers, as a CLI flag (`--name`) and an action input (`name`). */
export interface ExecutorOption {
  name: string;
  type: 'string' | 'boolean';
  /** What a string option's value is called in `--help` (e.g. PATH). */
  value?: string;
  /** One line for `--help`, action.yml and the README. */
  description: string;
}

/** What an executor gets to start with: where vmplan keeps things, and the values of its options. */
export interface ExecutorSettings {
  env: NodeJS.ProcessEnv;
  /** The state folder's cache/ (images, KVM probe, caches). */
  cacheDir: string;
  /** The folder relative option paths start from (the CLI's working folder, the action's workspace). */
  base: string;
  /** Values of the executors' options (ExecutorOption.name → value; undefined when not given). */
  options: Readonly<Record<string, string | boolean | undefined>>;
}

/** The part of an executor that runs things, loaded only when a run needs it. */
export interface ExecutorRuntime {
  /** Makes the executor for a run. */
  create(settings: ExecutorSettings): JobExecutor;
  /**
   * Stops what a crashed vmplan left running for a node of this executor (its record names the process), only if
   * it still belongs to the run, and cleans up what it leaves behind (sockets).
   */
  stopLeftovers(recorded: RunningProcess, runDir: string): Promise<void>;
  /** The same, at once and synchronously, for a vmplan process that is exiting. */
  killLeftoversNow(recorded: RunningProcess, runDir: string): void;
}

/**
 * One executor, described once: everything the rest of vmplan asks about it (the jobs-file enum, whether jobs
 * need an image, which guests it boots, its flags and inputs, its docs) and how to load the code that runs it.
 */
export interface ExecutorDescriptor {
  readonly name: string;
  /** Where it sorts in lists, messages and the JSON Schema (lowest first). */
  readonly order: number;
  /** One line saying what it is, for the jobs-file schema and `--help`. */
  readonly summary: string;
  /** The README's executors table: where it runs, its isolation, notes. */
  readonly docs: { where: string; isolation: string; notes: string };
  /** `vm`: each job boots a guest image (VM jobs need an image); `host`: jobs run directly on the machine. */
  readonly isolation: 'vm' | 'host';
  /** Platforms where it is the default for jobs that name no executor. */
  readonly defaultOn: readonly NodeJS.Platform[];
  /** Guest architectures it boots; `host`: only the host's own architecture (no emulation). */
  readonly guestArchs: readonly GuestArch[] | 'host';
  /** Why a kernel file cannot boot under this executor, or undefined when it can. */
  readonly kernelProblem?: (kernelPath: string, arch: GuestArch) => string | undefined;
  /** Its CLI flags and action inputs. */
  readonly options: readonly ExecutorOption[];
  /** Loads the code that runs its jobs (a dynamic import: planning never loads VM code). */
  load(): Promise<ExecutorRuntime>;
}
