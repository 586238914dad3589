import { z } from 'zod';
import { EXECUTOR_NAMES, EXECUTORS } from '../executors/catalog.js';
import { GUEST_ARCHS } from '../executors/descriptor.js';
import { referenceProblem } from '../oci/reference.js';
import { REPORT_FORMATS } from '../parsers/formats/registry.js';
import { parseBytes } from '../util/bytes.js';
import { describeValue } from '../util/describe.js';
import { globSyntaxProblem } from './glob-syntax.js';
import { runnerOnlyReason } from './runner-variables.js';
import { branchKeys } from './zod-problems.js';

/** Job ids become folder names, VM tags and check names, so they are kept to a safe alphabet. */
export const JOB_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** Environment variable names, for `env` keys and `secrets` entries. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Prefix of variables vmplan sets itself; users may not define them. */
export const RESERVED_ENV_PREFIX = 'VMPLAN_';

/** The executors a job can run on: every executor of the table (src/executors/table.ts). */
export const ExecutorSchema = z
  .enum(EXECUTOR_NAMES, {
    error: (issue) =>
      `expected one of ${EXECUTOR_NAMES.map((name) => `"${name}"`).join(', ')}, found ${describeValue(issue.input)}`,
  })
  .describe(`Where the job runs: ${EXECUTORS.map((executor) => executor.summary).join(', ')}.`);
/** An executor name. */
export type Executor = z.infer<typeof ExecutorSchema>;

/** Guest CPU architectures. */
export const ArchSchema = z
  .enum(GUEST_ARCHS, {
    error: (issue) => `expected "arm64" or "amd64", found ${describeValue(issue.input)}`,
  })
  .describe('Guest CPU architecture. Apple Silicon Macs run arm64 guests.');
/** A guest architecture. */
export type Arch = z.infer<typeof ArchSchema>;

/** A job id, as a definition key or a reference. */
export const JobIdSchema = z
  .string({ error: (issue) => `expected a job id, found ${describeValue(issue.input)}` })
  .regex(JOB_ID_PATTERN, {
    error: (issue) =>
      `invalid job id ${describeValue(issue.input)}: expected 1-63 characters of a-z, 0-9, "-" and "_", starting with a letter or digit`,
  });

/** An image name (same alphabet as job ids: it names cache folders). */
export const ImageNameSchema = z.string().regex(JOB_ID_PATTERN, {
  error: (issue) =>
    `invalid image name ${describeValue(issue.input)}: expected 1-63 characters of a-z, 0-9, "-" and "_", starting with a letter or digit`,
});

/** A variable name a job may set (`env` keys): not one of vmplan's own. */
export const EnvNameSchema = z
  .string()
  .regex(ENV_NAME_PATTERN, {
    error: (issue) =>
      `invalid variable name ${describeValue(issue.input)}: expected letters, digits and "_", not starting with a digit`,
  })
  .refine((name) => !name.startsWith(RESERVED_ENV_PREFIX), {
    error: (issue) =>
      `variable name ${describeValue(issue.input)} is reserved: names starting with VMPLAN_ are set by vmplan`,
  });

/** A runner variable a job may be handed (`secrets` entries): never one of the runner's own credentials. */
export const SecretNameSchema = EnvNameSchema.superRefine((name, context) => {
  const reason = runnerOnlyReason(name);
  if (reason !== undefined)
    context.addIssue({
      code: 'custom',
      input: name,
      message: `${describeValue(name)} is never handed to a job: it is ${reason}. Store the value under a name of your own (e.g. a repository secret) and name that`,
    });
});

const EnvSchema = z
  .record(
    EnvNameSchema,
    z.union([z.string(), z.number(), z.boolean()], {
      error: (issue) => `expected a string, number or boolean, found ${describeValue(issue.input)}`,
    }),
  )
  .describe('Literal environment variables. Never put secret values here: use `secrets`.');

/** A timeout in minutes: positive and at most a week (which also keeps it inside what a Node timer can wait). */
export const PositiveMinutesSchema = z
  .number({ error: (issue) => `expected a positive number of minutes, found ${describeValue(issue.input)}` })
  .positive({
    error: (issue) => `expected a positive number of minutes, found ${describeValue(issue.input)}`,
  })
  .max(7 * 24 * 60, { error: 'expected at most 10080 minutes (one week)' });

/** A guest CPU count. */
export const CpusSchema = z
  .number({ error: (issue) => `expected a whole number of CPUs, found ${describeValue(issue.input)}` })
  .int({ error: (issue) => `expected a whole number of CPUs, found ${describeValue(issue.input)}` })
  .min(1, { error: 'expected at least 1 CPU' })
  .max(64, { error: 'expected at most 64 CPUs' });

/** Guest memory in MiB. */
export const MemorySchema = z
  .number({
    error: (issue) => `expected memory in MiB as a whole number, found ${describeValue(issue.input)}`,
  })
  .int({ error: (issue) => `expected memory in MiB as a whole number, found ${describeValue(issue.input)}` })
  .min(256, { error: (issue) => `expected at least 256 MiB, found ${describeValue(issue.input)}` })
  .max(1024 * 1024, { error: 'expected at most 1048576 MiB' })
  .describe('Guest memory in MiB (a plain number: 2048, not "2G").');

/** A path relative to the workspace that cannot climb out of it. Globs allowed. */
export const WorkspaceGlobSchema = z
  .string()
  .min(1, { error: 'expected a non-empty path' })
  .refine((value) => !value.startsWith('/') && !/^[A-Za-z]:/.test(value), {
    error: (issue) =>
      `expected a path relative to the workspace, found the absolute path ${describeValue(issue.input)}`,
  })
  .refine((value) => !value.split('/').includes('..'), {
    error: (issue) =>
      `expected a path inside the workspace, found ${describeValue(issue.input)} (".." is not allowed)`,
  })
  .refine((value) => globSyntaxProblem(value) === undefined, {
    error: (issue) =>
      `expected a valid glob, found ${describeValue(issue.input)}: ${globSyntaxProblem(String(issue.input))}`,
  });

/** A folder inside the workspace (no globs). */
export const WorkspacePathSchema = WorkspaceGlobSchema.refine((value) => !/[*?[\]{}]/.test(value), {
  error: (issue) => `expected a plain path, found the glob ${describeValue(issue.input)}`,
});

/** Cache names become virtio-fs tags (`vmplan-cache-<name>`, at most 35 bytes) and folder names. */
export const CacheNameSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,21}$/, {
  error: (issue) =>
    `invalid cache name ${describeValue(issue.input)}: expected 1-22 characters of a-z, 0-9, "-" and "_", starting with a letter or digit`,
});

/** Where a cache appears in the guest: an absolute folder, outside what the agent owns. */
export const GuestFolderSchema = z
  .string()
  .regex(/^\/[A-Za-z0-9._@+/-]+$/, {
    error: (issue) =>
      `expected an absolute guest folder of letters, digits and . _ @ + - / (e.g. /home/vmplan/.npm), found ${describeValue(issue.input)}`,
  })
  .refine((value) => !/(^|\/)\.\.?(\/|$)/.test(value) && !value.includes('//'), {
    error: (issue) =>
      `expected a plain absolute folder, found ${describeValue(issue.input)} (".", ".." and "//" are not allowed)`,
  })
  .refine(
    (value) =>
      !/^\/(workspace|run|proc|sys|dev|tmp|var\/run)?\/?$/.test(value) &&
      !/^\/(workspace|run|proc|sys|dev|var\/run)\//.test(value),
    {
      error: (issue) =>
        `${describeValue(issue.input)} is not a place for a cache: expected a folder outside /, /workspace, /run, /var/run, /proc, /sys, /dev and /tmp itself`,
    },
  );

/** A `paths` filter entry: a glob over changed files, `!` negates. */
const PathFilterSchema = z
  .string()
  .min(1, { error: 'expected a non-empty glob' })
  .refine((value) => !value.replace(/^!/, '').startsWith('/'), {
    error: (issue) => `expected a glob relative to the repository root, found ${describeValue(issue.input)}`,
  })
  .refine((value) => globSyntaxProblem(value) === undefined, {
    error: (issue) =>
      `expected a valid glob, found ${describeValue(issue.input)}: ${globSyntaxProblem(String(issue.input))}`,
  });

/** A host path: absolute, or relative to the repository root without "..". */
export const HostPathSchema = z
  .string()
  .min(1, { error: 'expected a non-empty path' })
  .refine((value) => value.startsWith('/') || !value.split('/').includes('..'), {
    error: (issue) =>
      `expected an absolute path or a path inside the repository, found ${describeValue(issue.input)} (".." is not allowed)`,
  });

const NonEmptyStringSchema = z
  .string({ error: (issue) => `expected a string, found ${describeValue(issue.input)}` })
  .trim()
  .min(1, { error: 'expected a non-empty string' });

/** A kernel command line addition. */
export const CmdlineSchema = z
  .string({ error: (issue) => `expected a string, found ${describeValue(issue.input)}` })
  .refine((value) => !value.includes('"'), {
    error: 'a kernel command line cannot contain a double quote (vfkit has no way to pass one)',
  })
  .describe('Extra kernel command line arguments, appended after the ones vmplan needs.');

/** Guest networking: NAT (the default) or none at all (no network device in the guest). */
export const NetworkSchema = z
  .enum(['nat', 'none'], {
    error: (issue) => `expected "nat" or "none", found ${describeValue(issue.input)}`,
  })
  .describe('Guest networking: "nat" (default) or "none" (the guest has no network device).');

const imageCommon = {
  description: z.string().optional(),
  network: NetworkSchema.optional(),
  arch: ArchSchema,
  cpus: CpusSchema.optional().describe('Guest CPUs (default 2).'),
  memory: MemorySchema.optional(),
  cmdline: CmdlineSchema.optional(),
};

/** An image made of prebuilt files on the host. */
export const FilesImageSchema = z
  .strictObject({
    ...imageCommon,
    kernel: HostPathSchema.describe('Kernel (arm64: an uncompressed Image, as vfkit requires).'),
    initrd: HostPathSchema.describe('Initial ramdisk.'),
    disk: HostPathSchema.optional().describe('Raw root disk image; each job boots a copy-on-write clone.'),
  })
  .describe('A guest image from prebuilt files.');

/** An image produced by a host command writing into `$VMPLAN_IMAGE_OUT`. */
export const BuildImageSchema = z
  .strictObject({
    ...imageCommon,
    build: z.union(
      [
        NonEmptyStringSchema,
        z.strictObject({
          run: NonEmptyStringSchema.describe(
            'Shell script run on the host; writes kernel, initrd and optional disk into $VMPLAN_IMAGE_OUT.',
          ),
          inputs: z
            .array(WorkspaceGlobSchema)
            .optional()
            .describe('Files whose content is part of the cache key (globs, relative to the repository).'),
        }),
      ],
      {
        error: (issue) => `expected a command string or { run, inputs }, found ${describeValue(issue.input)}`,
      },
    ),
  })
  .describe('A guest image built by a host command.');

/** An image built with `nix build`. */
export const NixImageSchema = z
  .strictObject({
    ...imageCommon,
    nix: NonEmptyStringSchema.describe(
      'A nix installable, e.g. ".#vmplan-guest"; its output holds kernel, initrd and optional disk.',
    ),
  })
  .describe('A guest image built with nix.');

/** An image pulled from an OCI registry, where `vmplan image push` put it. */
export const OciImageSchema = z
  .strictObject({
    ...imageCommon,
    oci: z
      .string()
      .superRefine((text, context) => {
        const problem = referenceProblem(text);
        if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
      })
      .describe(
        'An image reference: registry/repository with a tag, a digest or both (ghcr.io/org/guest:1.2@sha256:…); a tag is resolved to a digest once per plan.',
      ),
  })
  .describe('A guest image from an OCI registry (pushed with vmplan image push).');

/** One guest image definition: prebuilt files, a build command, a nix installable, or an OCI image. */
export const ImageSchema = z
  .union([FilesImageSchema, BuildImageSchema, NixImageSchema, OciImageSchema], {
    error: (issue) =>
      `expected an image definition (a mapping with kernel and initrd, build, nix or oci), found ${describeValue(issue.input)}`,
  })
  .register(branchKeys, {
    branches: [['kernel', 'initrd', 'disk'], ['build'], ['nix'], ['oci']],
    describe:
      '"kernel"/"initrd" (prebuilt files), "build" (a host command), "nix" (a nix installable) or "oci" (an image in a registry)',
  });
/** A parsed image definition. */
export type ImageDefinition = z.infer<typeof ImageSchema>;

const NeedsSchema = z.union([JobIdSchema, z.array(JobIdSchema)], {
  error: (issue) => `expected a job id or a list of job ids, found ${describeValue(issue.input)}`,
});

/** Test reports a job writes, by format: one optional list of globs per format of the registry. */
const ReportsSchema = z.strictObject(
  Object.fromEntries(
    REPORT_FORMATS.map((format) => [
      format.name,
      z.array(WorkspaceGlobSchema).optional().describe(format.description),
    ]),
  ),
);

/** Matches one `${{ matrix.AXIS }}` substitution (the only expression vmplan knows). */
export const MATRIX_REFERENCE = /\$\{\{\s*matrix\.([A-Za-z0-9_-]*)\s*\}\}/g;
/** Axis names: what `${{ matrix.NAME }}` can name. */
export const AXIS_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Most combinations one matrix may make (as GitHub). */
export const MAX_MATRIX_COMBINATIONS = 256;
/** The matrix keys that are not axes. */
export const MATRIX_KEYWORDS = ['include', 'exclude', 'fail-fast'] as const;

/** One value of a matrix axis. */
export const MatrixValueSchema = z.union([z.string(), z.number(), z.boolean()], {
  error: (issue) => `expected a string, number or boolean, found ${describeValue(issue.input)}`,
});
/** A matrix value. */
export type MatrixValue = z.infer<typeof MatrixValueSchema>;

const MatrixEntrySchema = z.record(z.string(), MatrixValueSchema, {
  error: (issue) => `expected a mapping of axis: value, found ${describeValue(issue.input)}`,
});

/** A job's matrix: named axes with lists of values, plus `include`, `exclude` and `fail-fast` (as GitHub Actions). */
export const MatrixSchema = z
  .object({
    include: z
      .array(MatrixEntrySchema)
      .optional()
      .describe(
        'Extra combinations, or extra values: an entry adds its keys to every combination whose axis values it matches (never overwriting them), and makes a new combination when it matches none.',
      ),
    exclude: z
      .array(MatrixEntrySchema)
      .optional()
      .describe('Combinations left out: every combination matching all the values of an entry.'),
    'fail-fast': z
      .boolean()
      .optional()
      .describe(
        "false: a failing variant does not stop the run's other jobs (default: the run's fail-fast).",
      ),
  })
  .catchall(
    z
      .array(MatrixValueSchema, {
        error: (issue) => `expected a list of values, found ${describeValue(issue.input)}`,
      })
      .min(1, { error: 'expected at least one value' }),
  )
  .describe(
    "Run the job once per combination of these axes (name: [values]); ${{ matrix.NAME }} in run, env, image, description, cpus, memory, paths, artifacts and reports is the combination's value.",
  );
/** A parsed `matrix` block. */
export type Matrix = z.infer<typeof MatrixSchema>;

const MATRIX_TEMPLATE = /\$\{\{/;
/** A field that also takes a `${{ matrix.AXIS }}` substitution (checked once the value is substituted). */
function orTemplate<T extends z.ZodType>(schema: T, what: string) {
  return z.union([
    schema,
    z
      .string({ error: (issue) => `expected ${what}, found ${describeValue(issue.input)}` })
      .regex(MATRIX_TEMPLATE, {
        error: (issue) => `expected ${what} or \${{ matrix.AXIS }}, found ${describeValue(issue.input)}`,
      }),
  ]);
}

/** Most retries a job may ask for (each attempt is a fresh VM: more would hide a broken job for hours). */
export const MAX_RETRIES = 5;

/** What a retry may follow: the job failed, timed out, or the VM/host failed under it. */
export const RETRY_CAUSES = ['failure', 'timeout', 'infrastructure'] as const;
/** A cause `retry-on` names. */
export type RetryCause = (typeof RETRY_CAUSES)[number];

const RetriesSchema = z
  .number({ error: (issue) => `expected a whole number of retries, found ${describeValue(issue.input)}` })
  .int({ error: (issue) => `expected a whole number of retries, found ${describeValue(issue.input)}` })
  .min(0, { error: (issue) => `expected 0 to ${MAX_RETRIES} retries, found ${describeValue(issue.input)}` })
  .max(MAX_RETRIES, {
    error: (issue) => `expected 0 to ${MAX_RETRIES} retries, found ${describeValue(issue.input)}`,
  })
  .describe(
    `Run the job again, in a fresh VM and workspace, up to this many times (0-${MAX_RETRIES}) when an attempt ends as retry-on says. A job that fails and then passes is flaky.`,
  );

const RetryOnSchema = z
  .array(
    z.enum(RETRY_CAUSES, {
      error: (issue) =>
        `expected one of ${RETRY_CAUSES.map((cause) => `"${cause}"`).join(', ')}, found ${describeValue(issue.input)}`,
    }),
  )
  .min(1, { error: 'expected at least one of "failure", "timeout", "infrastructure"' })
  .refine((causes) => new Set(causes).size === causes.length, { error: 'expected each cause once' })
  .describe(
    'Which ends of an attempt are retried: "failure" (the command failed), "timeout", "infrastructure" (the VM did not boot, the hypervisor died, the guest wrote no result). Default: all three.',
  );

/** A size in bytes: a whole number, or a string such as "512MiB" or "2GB". */
const ByteSizeSchema = z.union([
  z.int().positive({ error: 'expected a positive number of bytes' }),
  z.string().refine((text) => (parseBytes(text) ?? 0) > 0, {
    error: (issue) => `expected a size such as "512MiB" or "2GB", found ${describeValue(issue.input)}`,
  }),
]);

/** Caps on what one job brings back and writes: a runaway or hostile job stops at them, with a note in its log. */
export const LimitsSchema = z
  .strictObject({
    'artifact-bytes': ByteSizeSchema.optional().describe(
      'Bytes brought back from the job (artifacts, reports, outputs; a sparse file counts its allocated bytes). Default 8GiB; 1GiB in untrusted runs.',
    ),
    'artifact-files': z
      .int()
      .positive()
      .optional()
      .describe('Files brought back from the job. Default 50000; 10000 in untrusted runs.'),
    'report-files': z
      .int()
      .positive()
      .optional()
      .describe('Test report files brought back and read. Default 2000; 500 in untrusted runs.'),
    'log-bytes': ByteSizeSchema.optional().describe(
      "Bytes kept of the guest's output (guest.log) and console (console.log). Default 256MiB; 64MiB in untrusted runs.",
    ),
  })
  .describe('Caps on what a job brings back and logs (untrusted runs use the lower of these and their own).');
/** A parsed `limits` block. */
export type Limits = z.infer<typeof LimitsSchema>;

/** One job: a shell script run in a fresh VM (or on the host). */
export const JobSchema = z
  .strictObject({
    run: NonEmptyStringSchema.describe(
      'Shell script, run with `bash -e` (host) or `sh -e` (guest) in the workspace.',
    ),
    description: z.string().optional(),
    image: z
      .string()
      .regex(/^(?:[a-z0-9][a-z0-9_-]{0,62}$|.*\$\{\{)/, {
        error: (issue) =>
          `invalid image name ${describeValue(issue.input)}: expected 1-63 characters of a-z, 0-9, "-" and "_", starting with a letter or digit`,
      })
      .optional()
      .describe(
        'Guest image (default: defaults.image); may be picked by a matrix value: debian-${{ matrix.suite }}.',
      ),
    executor: ExecutorSchema.optional(),
    matrix: MatrixSchema.optional(),
    needs: NeedsSchema.optional().describe('Jobs that must pass before this one starts.'),
    'timeout-minutes': PositiveMinutesSchema.optional().describe(
      'Minutes before the job is stopped (fractions allowed).',
    ),
    'working-directory': WorkspacePathSchema.optional().describe(
      'Folder (relative to the repository root) the script starts in.',
    ),
    'writable-workspace': z
      .boolean()
      .optional()
      .describe(
        "Bring the job's workspace changes back to the host (default false: changes stay in the VM).",
      ),
    'run-as-root': z
      .boolean()
      .optional()
      .describe('Run the script as root in the guest (default: an unprivileged user).'),
    env: EnvSchema.optional(),
    secrets: z
      .array(SecretNameSchema)
      .optional()
      .describe(
        'Names of runner environment variables passed to the job; their values are never stored. An untrusted run refuses them unless the workflow allows the names (untrusted-secrets).',
      ),
    paths: z
      .array(PathFilterSchema)
      .optional()
      .describe(
        'Run only when a changed file matches one of these globs ("!" excludes). Ignored when changes are unknown.',
      ),
    artifacts: z
      .array(WorkspaceGlobSchema)
      .optional()
      .describe('Workspace paths (globs) brought back after the job.'),
    reports: ReportsSchema.optional(),
    outputs: z
      .array(WorkspaceGlobSchema)
      .optional()
      .describe(
        'Workspace paths (globs) kept after the job passes and given to every job that needs it, read-only at the same paths (build once, test many).',
      ),
    network: NetworkSchema.optional().describe(
      'VM jobs: guest networking, "nat" or "none" (default: the image\'s, else nat).',
    ),
    caches: z
      .record(CacheNameSchema, GuestFolderSchema)
      .optional()
      .describe(
        'VM jobs: named folders kept across runs on the host (state/cache/shared/<repository>/<trusted|untrusted>/<name>) and mounted read-write at a guest folder, e.g. { npm: /home/vmplan/.npm }. Jobs of one repository and trust that name a cache share it, also while they run at once; untrusted runs never see what trusted runs keep there, and the other way round.',
      ),
    retries: RetriesSchema.optional(),
    'retry-on': RetryOnSchema.optional(),
    cpus: orTemplate(CpusSchema, 'a whole number of CPUs')
      .optional()
      .describe("Override the image's CPU count for this job."),
    memory: orTemplate(MemorySchema, 'memory in MiB as a whole number')
      .optional()
      .describe("Override the image's memory for this job."),
    limits: LimitsSchema.optional(),
  })
  .describe('A CI job.');
/** A parsed job definition, as written (matrix substitutions not yet made). */
export type JobDefinition = z.infer<typeof JobSchema>;
/** One variant of a job with its substitutions made: the matrix is gone and every field has its final type. */
export type ConcreteJob = Omit<JobDefinition, 'matrix' | 'cpus' | 'memory'> & {
  cpus?: number;
  memory?: number;
};

/** Settings every job inherits unless it sets its own. */
export const DefaultsSchema = z.strictObject({
  image: ImageNameSchema.optional(),
  'working-directory': WorkspacePathSchema.optional(),
  executor: ExecutorSchema.optional(),
  'timeout-minutes': PositiveMinutesSchema.optional(),
  env: EnvSchema.optional(),
  retries: RetriesSchema.optional(),
  'retry-on': RetryOnSchema.optional(),
  limits: LimitsSchema.optional(),
});

/** A gitignore-style pattern inside the repository. */
const WorkspacePatternSchema = z
  .string()
  .min(1, { error: 'expected a non-empty pattern' })
  .refine((value) => !value.split('/').includes('..'), {
    error: (issue) => `expected a pattern inside the repository, found ${describeValue(issue.input)}`,
  });

/** How each job gets its copy of the repository. */
export const WorkspaceSettingsSchema = z
  .strictObject({
    exclude: z
      .array(WorkspacePatternSchema)
      .optional()
      .describe(
        'Left out of the workspace snapshot, gitignore-style ("target/", "node_modules/", "/dist"), on top of what git ignores. .git is always left out.',
      ),
    'include-ignored': z
      .array(WorkspacePatternSchema)
      .optional()
      .describe(
        'Ignored by git but wanted in the snapshot, gitignore-style ("dist/", "/vendor/", "*.env.example"). In a git repository the snapshot holds what git would commit: tracked files and untracked files that are not ignored. An untrusted run refuses it and snapshots only tracked files.',
      ),
    mode: z
      .enum(['overlay', 'copy'], {
        error: (issue) => `expected "overlay" or "copy", found ${describeValue(issue.input)}`,
      })
      .optional()
      .describe(
        'VM jobs: "overlay" (default) mounts the one snapshot read-only under a per-job writable layer; "copy" gives each job its own clone (hard isolation, costs a copy per job).',
      ),
  })
  .describe('The workspace snapshot every job starts from.');

/** The jobs file users write (`.github/vmplan.yml`). */
export const JobsFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1, { error: (issue) => `expected 1, found ${describeValue(issue.input)}` }),
    images: z.record(ImageNameSchema, ImageSchema).optional(),
    defaults: DefaultsSchema.optional(),
    workspace: WorkspaceSettingsSchema.optional(),
    jobs: z
      .record(JobIdSchema, JobSchema)
      .refine((jobs) => Object.keys(jobs).length > 0, { error: 'expected at least one job' }),
  })
  .describe('vmplan jobs file: guest images and the CI jobs that run in them.');
/** A parsed, schema-valid jobs file. */
export type JobsFile = z.infer<typeof JobsFileSchema>;
