import type { PreparedImage } from '../executors/contract.js';
import type { RunningProcess } from '../executors/descriptor.js';
import type { Plan, PrepareNode } from '../plan/schema.js';
import type { JobLog } from '../records/job-log.js';

/** Everything a preparer gets to produce one image. */
export interface PrepareContext {
  runId: string;
  plan: Plan;
  node: PrepareNode;
  /** The node's folder (runs/<runId>/images/<image>). */
  nodeDir: string;
  /** The repository root that relative image paths are resolved against. */
  repositoryRoot: string;
  signal: AbortSignal;
  log: JobLog;
  /** Grace before forcing a stop (read when stopping). */
  killGraceMs: () => number;
  /** Records what runs for the node (see JobContext.onProcess). */
  onProcess: (process: RunningProcess) => void;
}

/** What preparing an image gave. */
export interface PrepareOutcome {
  status: 'passed' | 'failed';
  image: PreparedImage | undefined;
  cached: boolean;
  message: string | null;
}

/** Produces guest images for prepare nodes. */
export interface ImagePreparer {
  prepare(context: PrepareContext): Promise<PrepareOutcome>;
}

/** Why an image could not be prepared, in words for the user: the image node fails with this message. */
export class ImageProblem extends Error {
  override name = 'ImageProblem';
}
