import { z } from 'zod';
// Every field a jobs file sets is checked here with the jobs file's own schema, so a hand-edited plan can
// never carry what the jobs file would refuse (a plan's id detects accidents, not attackers).
import {
  ArchSchema,
  CacheNameSchema,
  CmdlineSchema,
  CpusSchema,
  EnvNameSchema,
  ExecutorSchema,
  GuestFolderSchema,
  HostPathSchema,
  ImageNameSchema,
  JobIdSchema,
  MAX_RETRIES,
  MatrixValueSchema,
  MemorySchema,
  PositiveMinutesSchema,
  RETRY_CAUSES,
  SecretNameSchema,
  WorkspaceGlobSchema,
  WorkspacePathSchema,
} from '../config/schema.js';
import { isVmExecutor } from '../executors/catalog.js';
import { REPORT_FORMAT_NAMES } from '../parsers/formats/registry.js';
import { JobLimitsSchema } from './limits.js';

/** The plan format version; bumped on any incompatible change (2: plans record the trust they were made under). */
export const PLAN_SCHEMA_VERSION = 2;

const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase hex sha256');

/** A node id: `image:<name>` for prepare nodes, `job:<id>` for execute nodes. */
export const NodeIdSchema = z
  .string()
  .regex(/^(image|job):[a-z0-9][a-z0-9_-]{0,62}$/, 'expected "image:<name>" or "job:<id>"');
/** A node id. */
export type NodeId = z.infer<typeof NodeIdSchema>;

/** Where the plan came from: repository, commit, and the jobs file it was made of. */
export const PlanSourceSchema = z.strictObject({
  repository: z.string().nullable().describe('owner/name, when known'),
  commit: z.string().nullable().describe('The commit the jobs run against (the PR head on pull requests).'),
  ref: z.string().nullable(),
  event: z.string().nullable(),
  jobsFile: z.string().describe('The jobs file as named by the user, or "inline" for the action input.'),
  jobsFileSha256: Sha256Schema,
});
/** Where a plan came from. */
export type PlanSource = z.infer<typeof PlanSourceSchema>;

/**
 * The trust a plan was made under. A record, not a credential (anyone can edit a plan): a plan is never run more
 * trusted because of it, only less — a plan made untrusted runs untrusted unless the user says otherwise.
 */
export const PlanTrustSchema = z.strictObject({
  trusted: z.boolean().describe('Whether the run that made the plan was trusted (docs/security.md).'),
  reason: z
    .string()
    .min(1)
    .max(500)
    .describe(
      'Why, in the words of the trust policy, e.g. "trust: auto (untrusted for a pull request from a fork)".',
    ),
});
/** The trust a plan was made under. */
export type PlanTrust = z.infer<typeof PlanTrustSchema>;

/** What changed, as far as the planner knew (drives `paths` filters). */
export const ChangesSchema = z.discriminatedUnion('known', [
  z.strictObject({
    known: z.literal(true),
    source: z.string().describe('How the list was obtained, e.g. "git diff abc..def" or a file name.'),
    files: z.array(z.string()),
  }),
  z.strictObject({
    known: z.literal(false),
    reason: z.string().describe('Why the changed files are unknown; no job was filtered out by `paths`.'),
  }),
]);
/** The changed files a plan was made against. */
export type Changes = z.infer<typeof ChangesSchema>;

/** The selection and filters the plan was made under. */
export const PlanScopeSchema = z.strictObject({
  only: z
    .array(JobIdSchema)
    .nullable()
    .describe('Jobs selected with --only (their needs are added), or null for all.'),
  shard: z
    .strictObject({ index: z.number().int().positive(), count: z.number().int().positive() })
    .nullable()
    .describe('This plan is shard index/count of a larger plan (each job with what it needs in one shard).'),
  executor: ExecutorSchema.nullable().describe('The executor forced for the run (--executor), or null.'),
  defaultExecutor: ExecutorSchema.describe('The executor for jobs that name none (from the host platform).'),
  changes: ChangesSchema,
  durations: z
    .record(JobIdSchema, z.number().int().nonnegative())
    .describe(
      'Recorded durations (ms) of earlier runs, by job: shards are balanced by them. Part of the plan so every shard of it computes the same split.',
    ),
});
/** The scope of a plan. */
export type PlanScope = z.infer<typeof PlanScopeSchema>;

/** Something that must hold on the machine before any node runs; checked first, so nothing starts in vain. */
export const PreconditionSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('executor'),
    executor: ExecutorSchema,
    nodes: z.array(NodeIdSchema),
  }),
  z.strictObject({
    kind: z.literal('secret'),
    name: SecretNameSchema.describe(
      'A runner environment variable that must be set (its value is never stored).',
    ),
    nodes: z.array(NodeIdSchema),
  }),
  z.strictObject({
    kind: z.literal('host-arch'),
    arch: ArchSchema.describe('vfkit runs guests of the host architecture only.'),
    nodes: z.array(NodeIdSchema),
  }),
]);
/** A plan precondition. */
export type Precondition = z.infer<typeof PreconditionSchema>;

const nodeCommon = {
  id: NodeIdSchema,
  description: z.string(),
  executor: ExecutorSchema,
  dependsOn: z.array(NodeIdSchema),
};

const prepareCommon = {
  ...nodeCommon,
  image: ImageNameSchema,
  arch: ArchSchema,
  cacheKey: Sha256Schema.describe(
    'Derived from the image definition; the prepare step adds content fingerprints.',
  ),
  cmdline: CmdlineSchema.nullable(),
  usedBy: z.array(NodeIdSchema),
};

/** Prepare node: an image from prebuilt files. */
export const FilesPrepareNodeSchema = z.strictObject({
  kind: z.literal('prepare'),
  type: z.literal('files'),
  ...prepareCommon,
  kernel: HostPathSchema,
  initrd: HostPathSchema,
  disk: HostPathSchema.nullable(),
});

/** Prepare node: an image built by a host command. */
export const BuildPrepareNodeSchema = z.strictObject({
  kind: z.literal('prepare'),
  type: z.literal('build'),
  ...prepareCommon,
  run: z.string(),
  inputs: z.array(z.string()),
});

/** Prepare node: an image built with nix. */
export const NixPrepareNodeSchema = z.strictObject({
  kind: z.literal('prepare'),
  type: z.literal('nix'),
  ...prepareCommon,
  installable: z.string(),
});

/** Prepare node: an image pulled from an OCI registry, always by digest (exact bytes). */
export const OciPrepareNodeSchema = z.strictObject({
  kind: z.literal('prepare'),
  type: z.literal('oci'),
  ...prepareCommon,
  reference: z.string().describe('The reference as the jobs file gives it.'),
  digest: z
    .string()
    .regex(/^sha256:[a-f0-9]{64}$/)
    .describe('The manifest digest pulled: given, or the tag resolved once when the plan was made.'),
});

/** A node that produces a guest image, shared by every job using that image. */
export const PrepareNodeSchema = z.discriminatedUnion('type', [
  FilesPrepareNodeSchema,
  BuildPrepareNodeSchema,
  NixPrepareNodeSchema,
  OciPrepareNodeSchema,
]);
/** A prepare node. */
export type PrepareNode = z.infer<typeof PrepareNodeSchema>;

/** A node that runs one job's command, in a VM or on the host. */
export const ExecuteNodeSchema = z.strictObject({
  kind: z.literal('execute'),
  type: z.enum(['vm_command', 'host_command']),
  ...nodeCommon,
  job: JobIdSchema,
  needs: z.array(JobIdSchema),
  image: ImageNameSchema.nullable(),
  command: z.string(),
  workingDirectory: z
    .union([z.literal('.'), WorkspacePathSchema])
    .describe('Relative to the workspace root; "." for the root.'),
  runAsRoot: z.boolean(),
  timeoutMinutes: PositiveMinutesSchema,
  writableWorkspace: z.boolean(),
  env: z.record(EnvNameSchema, z.string()),
  secrets: z
    .array(SecretNameSchema)
    .describe('Names of runner variables passed to the job; values are never stored.'),
  cpus: CpusSchema.nullable(),
  memory: MemorySchema.nullable(),
  artifacts: z.array(WorkspaceGlobSchema),
  reports: z
    .strictObject(
      Object.fromEntries(REPORT_FORMAT_NAMES.map((name) => [name, z.array(WorkspaceGlobSchema).optional()])),
    )
    .describe(
      'Test reports the job writes (globs), by format; only the formats the job names (older plans list junit always, empty or not).',
    ),
  network: z
    .literal('none')
    .optional()
    .describe('Present only for VM jobs without networking; absent means NAT (older plans read the same).'),
  caches: z
    .array(z.strictObject({ name: CacheNameSchema, guestPath: GuestFolderSchema }))
    .describe(
      'Host folders kept across runs (cache/shared/<repository>/<trust>/<name>), mounted at guestPath in the VM; by name.',
    ),
  outputs: z
    .array(WorkspaceGlobSchema)
    .min(1)
    .optional()
    .describe(
      'Present only for jobs with outputs: what is kept after the job passes, for the jobs that need it.',
    ),
  receives: z
    .array(
      z.strictObject({
        from: JobIdSchema,
        paths: z.array(WorkspaceGlobSchema).min(1),
        run: z
          .string()
          .regex(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/)
          .optional()
          .describe('A rerun: the earlier run that kept these outputs (the job is not run again).'),
      }),
    )
    .min(1)
    .optional()
    .describe(
      'Present only for jobs that need jobs with outputs: whose outputs it sees in its workspace (read-only, at the same paths), by job.',
    ),
  limits: JobLimitsSchema.partial()
    .optional()
    .describe("Present only when the jobs file sets caps: the job's own limits (the rest are the defaults)."),
  retry: z
    .strictObject({
      retries: z.number().int().min(1).max(MAX_RETRIES),
      on: z.array(z.enum(RETRY_CAUSES)).min(1),
    })
    .optional()
    .describe('Present only for jobs that retry: how many times at most, after which ends of an attempt.'),
  matrix: z
    .strictObject({
      job: JobIdSchema.describe('The matrix job of the jobs file this node is a variant of.'),
      name: z.string().min(1).max(1000).describe('The display name, e.g. "test (node 22, arm64)".'),
      values: z.record(z.string(), MatrixValueSchema).describe("The combination's values, by axis."),
      failFast: z
        .literal(false)
        .optional()
        .describe(
          "Present when the matrix says fail-fast: false: this variant's failure stops nothing else.",
        ),
    })
    .optional()
    .describe('Present only for a variant of a matrix job: which job, its display name and its values.'),
});
/** An execute node. */
export type ExecuteNode = z.infer<typeof ExecuteNodeSchema>;

/** Any plan node. */
export const PlanNodeSchema = z.discriminatedUnion('kind', [PrepareNodeSchema, ExecuteNodeSchema]);
/** A plan node. */
export type PlanNode = z.infer<typeof PlanNodeSchema>;

/** A job left out of the plan, and why. */
export const ExcludedJobSchema = z.strictObject({
  job: JobIdSchema,
  reason: z.enum(['not-selected', 'paths', 'needs-excluded']),
  message: z.string(),
});
/** An excluded job. */
export type ExcludedJob = z.infer<typeof ExcludedJobSchema>;

/** The part of the plan its id is computed from (everything but planId and createdAt). */
export const PlanBodySchema = z.strictObject({
  schemaVersion: z.literal(PLAN_SCHEMA_VERSION),
  generator: z.strictObject({ name: z.literal('vmplan'), version: z.string() }),
  source: PlanSourceSchema,
  trust: PlanTrustSchema,
  scope: PlanScopeSchema,
  workspace: z.strictObject({
    exclude: z
      .array(z.string())
      .describe('Patterns left out of the snapshot, besides .git and the state folder.'),
    includeIgnored: z
      .array(z.string())
      .optional()
      .describe('Patterns git ignores that the snapshot still holds (absent: none).'),
    mode: z.enum(['overlay', 'copy']),
  }),
  preconditions: z.array(PreconditionSchema),
  stages: z
    .array(z.array(NodeIdSchema))
    .describe('Nodes grouped by depth: a stage only needs earlier stages.'),
  nodes: z.array(PlanNodeSchema).describe('Nodes in a stable topological order (stage, then id).'),
  excluded: z.array(ExcludedJobSchema),
});
/** A plan without its id and timestamp. */
export type PlanBody = z.infer<typeof PlanBodySchema>;

/** The staged run plan (`plan.json`): versioned, deterministic, free of secret values. */
export const PlanSchema = z
  .strictObject({
    schemaVersion: z.literal(PLAN_SCHEMA_VERSION),
    planId: Sha256Schema.describe(
      'sha256 of the canonical JSON of the plan body (all but planId and createdAt).',
    ),
    createdAt: z.iso.datetime(),
    ...PlanBodySchema.omit({ schemaVersion: true }).shape,
  })
  .superRefine((plan, context) => {
    for (const message of planConsistencyProblems(plan)) context.addIssue({ code: 'custom', message });
  });
/** Every report glob of a job, whatever its format (for collecting the files). */
export function reportGlobs(node: { reports: Record<string, readonly string[] | undefined> }): string[] {
  return Object.values(node.reports).flatMap((globs) => globs ?? []);
}

/** A validated plan. */
export type Plan = z.infer<typeof PlanSchema>;

/**
 * Structural rules zod's shapes cannot express: unique ids, dependencies that exist and come earlier,
 * stages that match the nodes, executors that match node types. Guards against hand-edited plans.
 */
export function planConsistencyProblems(plan: Pick<Plan, 'nodes' | 'stages' | 'excluded'>): string[] {
  const problems: string[] = [];
  const position = new Map<string, number>();
  plan.nodes.forEach((node, index) => {
    if (position.has(node.id)) problems.push(`node "${node.id}" appears twice`);
    position.set(node.id, index);
  });
  plan.nodes.forEach((node, index) => {
    const expectedPrefix = node.kind === 'prepare' ? `image:${node.image}` : `job:${node.job}`;
    if (node.id !== expectedPrefix) problems.push(`node "${node.id}" should be named "${expectedPrefix}"`);
    for (const dependency of node.dependsOn) {
      const at = position.get(dependency);
      if (at === undefined)
        problems.push(`node "${node.id}" depends on "${dependency}", which is not in the plan`);
      else if (at >= index)
        problems.push(`node "${node.id}" depends on "${dependency}", which comes after it`);
    }
    if (node.kind === 'execute') {
      const vm = isVmExecutor(node.executor);
      if (vm !== (node.type === 'vm_command')) {
        problems.push(`node "${node.id}" has type ${node.type} but executor ${node.executor}`);
      }
      if (vm && (node.image === null || !node.dependsOn.includes(`image:${node.image}`))) {
        problems.push(`node "${node.id}" runs in a VM but does not depend on its image's prepare node`);
      }
      for (const need of node.needs) {
        const fromEarlierRun = node.receives?.some(
          (received) => received.from === need && received.run !== undefined,
        );
        if (!node.dependsOn.includes(`job:${need}`) && !fromEarlierRun)
          problems.push(`node "${node.id}" needs "${need}" but does not depend on it`);
      }
      for (const received of node.receives ?? []) {
        if (!node.needs.includes(received.from))
          problems.push(`node "${node.id}" receives the outputs of "${received.from}" but does not need it`);
      }
    }
  });
  const stageOf = new Map<string, number>();
  plan.stages.forEach((stage, index) => {
    for (const id of stage) stageOf.set(id, index);
  });
  for (const node of plan.nodes) {
    for (const dependency of node.dependsOn) {
      if ((stageOf.get(dependency) ?? -1) >= (stageOf.get(node.id) ?? -1)) {
        problems.push(
          `node "${node.id}" is in the same stage as or an earlier stage than its dependency "${dependency}"`,
        );
      }
    }
  }
  const staged = plan.stages.flat();
  if (staged.length !== plan.nodes.length || staged.some((id, index) => plan.nodes[index]?.id !== id)) {
    problems.push('stages do not list the nodes in plan order');
  }
  const planned = new Set(plan.nodes.flatMap((node) => (node.kind === 'execute' ? [node.job] : [])));
  for (const excluded of plan.excluded) {
    if (planned.has(excluded.job)) problems.push(`job "${excluded.job}" is both planned and excluded`);
  }
  return problems;
}
