import { z } from 'zod';
import { ExecutorSchema, JOB_ID_PATTERN, RETRY_CAUSES } from '../config/schema.js';
import { ChangesSchema, NodeIdSchema, PlanSourceSchema } from '../plan/schema.js';

/** Record format version for run.json and status.json. */
export const RECORD_SCHEMA_VERSION = 1;

/** Run ids sort by time: `20261129T102300Z-1a2b3c4d`. Validated wherever a user names a run. */
export const RUN_ID_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;
/** A run id. */
export const RunIdSchema = z
  .string()
  .regex(RUN_ID_PATTERN, 'expected a run id like 20261129T102300Z-1a2b3c4d');

/** A node's status. `pending` and `running` are the only non-terminal ones. */
export const NodeStatusSchema = z.enum([
  'pending',
  'running',
  'passed',
  'failed',
  'timed_out',
  'cancelled',
  'skipped',
]);
/** A node status. */
export type NodeStatus = z.infer<typeof NodeStatusSchema>;
/** Statuses a node ends in. */
export const TERMINAL_NODE_STATUSES: readonly NodeStatus[] = [
  'passed',
  'failed',
  'timed_out',
  'cancelled',
  'skipped',
];

/** A run's status. */
export const RunStatusSchema = z.enum(['running', 'passed', 'failed', 'cancelled']);
/** A run status. */
export type RunStatus = z.infer<typeof RunStatusSchema>;

/**
 * Where a job's time went, in order: host preparation (folders, clones, shares, virtiofsd), the hypervisor's
 * start until the kernel runs, the kernel's boot until the guest agent starts, the agent's setup (mounts, overlay,
 * user), the command, the guest's collection of results, the shutdown until the hypervisor exits, and the host's
 * finishing work (bringing results back, masking). `vm` is a VM whose guest gave no timings (an older agent).
 * Host jobs have prepare, command and finish.
 */
export const PHASE_NAMES = [
  'prepare',
  'hypervisor',
  'boot',
  'setup',
  'vm',
  'command',
  'collect',
  'shutdown',
  'finish',
] as const;
/** A phase name. */
export type PhaseName = (typeof PHASE_NAMES)[number];

/** One phase of a job, relative to the start of the job (or of its attempt). */
export const PhaseSchema = z.strictObject({
  phase: z.enum(PHASE_NAMES),
  startMs: z.number().int().nonnegative().describe('Milliseconds from the start of the job (or attempt).'),
  ms: z.number().int().nonnegative(),
});
/** A timed phase. */
export type Phase = z.infer<typeof PhaseSchema>;

/** One phase of a job on the host's clock, as an executor measures it (epoch milliseconds). */
export interface TimedPhase {
  phase: PhaseName;
  start: number;
  end: number;
}

/** Phases on the host's clock as recorded: milliseconds from `startedAt` (the job's, or its attempt's). */
export function phasesFrom(timed: readonly TimedPhase[], startedAt: string): Phase[] {
  const origin = Date.parse(startedAt);
  return timed.map(({ phase, start, end }) => ({
    phase,
    startMs: Math.max(0, Math.round(start - origin)),
    ms: Math.max(0, Math.round(end - start)),
  }));
}

/** One attempt of a job that ran more than once (retries). */
export const AttemptSchema = z.strictObject({
  attempt: z.number().int().positive(),
  status: z.enum(['passed', 'failed', 'timed_out', 'cancelled']),
  cause: z
    .enum(RETRY_CAUSES)
    .nullable()
    .describe('Why it did not pass, as retry-on names it; null when it passed or was cancelled.'),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  durationMs: z.number().int().nonnegative(),
  exitCode: z.number().int().nullable(),
  message: z.string().nullable(),
  folder: z
    .string()
    .describe(
      "Its logs, reports and artifacts, relative to the run folder (the last attempt's are the job's own).",
    ),
  phases: z.array(PhaseSchema).max(PHASE_NAMES.length).optional(),
});
/** An attempt of a job. */
export type Attempt = z.infer<typeof AttemptSchema>;

/** How a job ended in the run a rerun repeats. */
export const EarlierResultSchema = z.strictObject({
  run: z.string().describe('A vmplan run id, or github-run:<id>.'),
  status: NodeStatusSchema,
  sameCode: z
    .boolean()
    .describe('Both ran the same files (one snapshot, or one commit): a flip is chance, not a fix.'),
});
/** A job's earlier result. */
export type EarlierResult = z.infer<typeof EarlierResultSchema>;

/** `status.json`: one node (job or image) of a run. */
export const NodeRecordSchema = z.strictObject({
  schemaVersion: z.literal(RECORD_SCHEMA_VERSION),
  nodeId: NodeIdSchema,
  kind: z.enum(['prepare', 'execute']),
  job: z.string().regex(JOB_ID_PATTERN).nullable(),
  executor: ExecutorSchema,
  status: NodeStatusSchema,
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  durationMs: z.number().int().nonnegative().nullable(),
  exitCode: z.number().int().nullable(),
  message: z.string().nullable(),
  logs: z
    .strictObject({ host: z.string(), guest: z.string().nullable() })
    .describe('Paths relative to the run folder.'),
  cached: z.boolean().optional().describe('Prepare nodes: the image came from the cache.'),
  process: z
    .strictObject({
      pid: z.number().int().positive(),
      group: z.boolean().describe('pid leads a process group: stop the whole group.'),
      restSocket: z.string().nullable().describe('vfkit REST socket, for a HardStop.'),
      cgroup: z
        .string()
        .nullable()
        .optional()
        .describe('Linux host jobs: the cgroup holding everything the job started (killed whole).'),
    })
    .nullable()
    .optional()
    .describe('What is running for the node, so it can be stopped if vmplan itself dies.'),
  attempts: z
    .array(AttemptSchema)
    .optional()
    .describe('Jobs that ran more than once: every attempt in order, the last being the record itself.'),
  phases: z
    .array(PhaseSchema)
    .max(PHASE_NAMES.length)
    .optional()
    .describe("Where the job's time went (of its last attempt); absent for images and older records."),
});
/** A node record. */
export type NodeRecord = z.infer<typeof NodeRecordSchema>;

/** `run.json`: one run of a plan. */
export const RunRecordSchema = z.strictObject({
  schemaVersion: z.literal(RECORD_SCHEMA_VERSION),
  runId: RunIdSchema,
  status: RunStatusSchema,
  planId: z.string(),
  planPath: z.string().describe('The plan as given (a file, or the jobs file it was made from).'),
  source: PlanSourceSchema,
  selection: z.array(z.string()).nullable(),
  changes: ChangesSchema,
  rerunOf: z
    .string()
    .nullable()
    .describe(
      'The run this one repeats: a vmplan run id, or github-run:<id> for a workflow run (rerun-failed-from).',
    ),
  snapshotRun: RunIdSchema.describe('The run whose snapshot/ this run uses (itself, or the run it reruns).'),
  options: z.strictObject({
    maxParallel: z.number().int().positive().nullable(),
    failFast: z.boolean(),
    executor: ExecutorSchema.nullable(),
  }),
  host: z.strictObject({
    hostname: z.string(),
    pid: z.number().int(),
    platform: z.string(),
    arch: z.string(),
  }),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  durationMs: z.number().int().nonnegative().nullable(),
  message: z.string().nullable(),
  counts: z
    .partialRecord(NodeStatusSchema, z.number().int().nonnegative())
    .describe('Jobs (execute nodes) by status.'),
});
/** A run record. */
export type RunRecord = z.infer<typeof RunRecordSchema>;

/** A job that failed (or timed out) and then passed on a later attempt. */
export function isFlaky(record: Pick<NodeRecord, 'status' | 'attempts'>): boolean {
  return record.status === 'passed' && (record.attempts?.length ?? 0) > 1;
}
