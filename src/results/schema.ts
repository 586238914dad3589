import { z } from 'zod';
import { JOB_ID_PATTERN } from '../config/schema.js';
import { EXECUTOR_NAMES } from '../executors/catalog.js';
import { TestSummarySchema } from '../parsers/test-summary.js';
import {
  AttemptSchema,
  EarlierResultSchema,
  NodeStatusSchema,
  PHASE_NAMES,
  PhaseSchema,
} from '../records/schema.js';

/** Format version of results.json. */
export const RESULTS_SCHEMA_VERSION = 1;
/** Largest results.json read. */
export const MAX_RESULTS_BYTES = 64 * 1024 * 1024;

const AnnotationSchema = z.strictObject({
  level: z.enum(['error', 'warning', 'notice']),
  title: z.string(),
  message: z.string(),
  file: z.string().optional(),
  line: z.number().int().positive().optional(),
  column: z.number().int().positive().optional(),
  job: z.string(),
  kind: z.enum(['job', 'diagnostic']),
});

/** One job's result, with what the reports need (so a report job can work from results alone). */
export const JobResultSchema = z.strictObject({
  status: NodeStatusSchema,
  description: z.string(),
  executor: z.enum(EXECUTOR_NAMES),
  durationMs: z.number().int().nonnegative().nullable(),
  exitCode: z.number().int().nullable(),
  message: z.string().nullable(),
  logTail: z.string().describe("The end of the job's log (masked), for summaries."),
  logTruncated: z.boolean(),
  annotations: z.array(AnnotationSchema),
  attempts: z
    .array(AttemptSchema)
    .default([])
    .describe('Every attempt when the job ran more than once (retries); absent in older results.'),
  flaky: z
    .boolean()
    .default(false)
    .describe('It failed, then passed: on a later attempt, or in this rerun of a run where it failed.'),
  earlier: EarlierResultSchema.nullable()
    .default(null)
    .describe('For a rerun: how the job ended in the run this one repeats.'),
  tests: TestSummarySchema.nullable()
    .default(null)
    .describe("What the job's test reports say (null when it names none; absent in older results)."),
  startedAt: z.iso
    .datetime()
    .nullable()
    .default(null)
    .describe('When it started (null when it never did; absent in older results).'),
  phases: z
    .array(PhaseSchema)
    .max(PHASE_NAMES.length)
    .default([])
    .describe("Where its time went (its last attempt's), from startedAt; absent in older results."),
});
/** A job's result. */
export type JobResult = z.infer<typeof JobResultSchema>;

/** `results.json`: what one runner (one shard) ran of a plan, uploaded as an artifact. */
export const ResultsSchema = z.strictObject({
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  planId: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .describe('The plan the runner was given (before sharding).'),
  shard: z
    .strictObject({ index: z.number().int().positive(), count: z.number().int().positive() })
    .nullable(),
  runId: z.string(),
  status: z.enum(['passed', 'failed', 'cancelled']),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  jobs: z.record(z.string().regex(JOB_ID_PATTERN), JobResultSchema),
});
/** A validated results.json. */
export type Results = z.infer<typeof ResultsSchema>;
