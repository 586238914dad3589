import { z } from 'zod';
import { ExecutorSchema, JOB_ID_PATTERN } from '../config/schema.js';
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
