import { expandJobs, type Variant } from '../config/matrix.js';
import {
  type ConcreteJob,
  type Executor,
  type ImageDefinition,
  JOB_ID_PATTERN,
  type JobDefinition,
  type JobsFile,
  RETRY_CAUSES,
} from '../config/schema.js';
import { InputError, type Problem } from '../errors.js';
import { descriptorOf, HOST_EXECUTOR, isVmExecutor } from '../executors/catalog.js';
import { REPORT_FORMAT_NAMES } from '../parsers/formats/registry.js';
import { canonicalJson, compareText, sha256 } from '../util/canonical-json.js';
import { postOrder } from '../util/graph.js';
import { didYouMean } from '../util/suggest.js';
import { VMPLAN_VERSION } from '../version.js';
import { plannedLimits } from './limits.js';
import { firstMatchingFile } from './paths-filter.js';
import {
  type Changes,
  type ExcludedJob,
  type ExecuteNode,
  PLAN_SCHEMA_VERSION,
  type Plan,
  type PlanBody,
  type PlanNode,
  type PlanSource,
  type PlanTrust,
  type Precondition,
  type PrepareNode,
} from './schema.js';

/** Defaults for what a jobs file leaves out. */
export const PLAN_DEFAULTS = { timeoutMinutes: 60, cpus: 2, memory: 2048 } as const;

/** Everything outside the jobs file that shapes a plan; supplied by the caller so planning stays pure. */
export interface PlanContext {
  source: Omit<PlanSource, 'jobsFile' | 'jobsFileSha256'>;
  jobsFile: { name: string; sha256: string };
  /** The trust the plan is made under (recorded in it: a plan made untrusted later runs untrusted). */
  trust: PlanTrust;
  changes: Changes;
  /** Jobs selected by the user (their needs are added); undefined selects every job. */
  only?: readonly string[];
  /** An executor forced for the run: "host" runs everything on the host, a VM executor replaces every VM executor. */
  executor?: Executor;
  /** The executor for jobs that name none (vfkit on macOS, qemu on Linux). */
  defaultExecutor: Executor;
  /** Recorded durations (ms) of earlier runs, to balance shards of this plan. */
  durations?: Readonly<Record<string, number>>;
  /** Digests of the `oci:` image references that name only a tag, resolved by the caller (planning stays pure). */
  ociDigests?: Readonly<Record<string, string>>;
  /** Timestamp to record; not part of the plan id. */
  createdAt: string;
}

/**
 * Builds the staged run plan from a validated jobs file. Pure: reads no files, runs nothing, and the same
 * inputs always give the same plan (same planId, same bytes).
 */
export function buildPlan(config: JobsFile, context: PlanContext): Plan {
  const expanded = expandJobs(config);
  if (expanded.problems.length > 0) throw new InputError(expanded.problems);
  // From here on a "job" is a variant: a job of the file, or one combination of a matrix job.
  const jobs = new Map([...expanded.variants.values()].flat().map((variant) => [variant.id, variant]));
  const jobIds = [...jobs.keys()].sort(compareText);
  const variantsOf = (job: string) => expanded.variants.get(job)?.map((variant) => variant.id) ?? [];
  const needsOf = (id: string): string[] =>
    [...new Set(normalizeNeeds(jobs.get(id)!.definition.needs).flatMap(variantsOf))].sort(compareText);

  const excluded = new Map<string, ExcludedJob>();
  const explicitlySelected = selectJobs(expanded.variants, jobs, context.only, jobIds, needsOf, excluded);
  applyPathFilters(jobs, context.changes, jobIds, explicitlySelected, excluded);
  excludeDependents(jobIds, needsOf, excluded);

  const included = jobIds.filter((id) => !excluded.has(id));
  const problems: Problem[] = [];
  const executeNodes = included.map((id) =>
    buildExecuteNode(
      config,
      jobs.get(id)!,
      needsOf(id),
      (need) => jobs.get(need)?.definition,
      context,
      problems,
    ),
  );
  if (problems.length > 0) throw new InputError(problems);

  const prepareNodes = buildPrepareNodes(config, executeNodes, context);
  const { nodes, stages } = orderNodes([...prepareNodes, ...executeNodes]);

  const body: PlanBody = {
    schemaVersion: PLAN_SCHEMA_VERSION,
    generator: { name: 'vmplan', version: VMPLAN_VERSION },
    source: { ...context.source, jobsFile: context.jobsFile.name, jobsFileSha256: context.jobsFile.sha256 },
    trust: { trusted: context.trust.trusted, reason: context.trust.reason },
    scope: {
      // A display name (`test (node 22, arm64)`) is recorded as its variant's id.
      only:
        context.only === undefined
          ? null
          : [
              ...new Set(
                context.only.map((name) =>
                  JOB_ID_PATTERN.test(name) ? name : resolveJobName(name, expanded.variants)![0]!,
                ),
              ),
            ].sort(),
      shard: null,
      executor: context.executor ?? null,
      defaultExecutor: context.defaultExecutor,
      changes: context.changes.known
        ? { known: true, source: context.changes.source, files: [...new Set(context.changes.files)].sort() }
        : context.changes,
      durations: Object.fromEntries(
        included.flatMap((id) => {
          const ms = context.durations?.[id];
          return ms === undefined || !Number.isFinite(ms) || ms < 0 ? [] : [[id, Math.round(ms)]];
        }),
      ),
    },
    workspace: workspaceOf(config),
    preconditions: buildPreconditions(nodes),
    stages,
    nodes,
    excluded: [...excluded.values()].sort((a, b) => compareText(a.job, b.job)),
  };
  return { ...body, planId: planIdOf(body), createdAt: context.createdAt };
}

/** The plan id: sha256 of the canonical JSON of everything but planId and createdAt. */
export function planIdOf(plan: PlanBody | Plan): string {
  const { planId: _id, createdAt: _at, ...body } = plan as Plan;
  return sha256(canonicalJson(body));
}

function normalizeNeeds(needs: JobDefinition['needs']): string[] {
  if (needs === undefined) return [];
  return [...new Set(typeof needs === 'string' ? [needs] : needs)].sort();
}

/**
 * The jobs a name given to --only means: a job of the file (every variant of a matrix job), or one variant by its
 * id or its display name (`test (node 22, arm64)`); undefined when it names none.
 */
export function resolveJobName(
  name: string,
  variants: ReadonlyMap<string, readonly Variant[]>,
): string[] | undefined {
  const all = [...variants.values()].flat();
  const ofJob = variants.get(name);
  if (ofJob !== undefined) return ofJob.map((variant) => variant.id);
  const one = all.find((variant) => variant.id === name || variant.name === name);
  return one === undefined ? undefined : [one.id];
}

/** Marks jobs not reachable from --only as excluded; returns the jobs named explicitly. */
function selectJobs(
  variants: ReadonlyMap<string, readonly Variant[]>,
  jobs: ReadonlyMap<string, Variant>,
  only: readonly string[] | undefined,
  jobIds: string[],
  needsOf: (id: string) => string[],
  excluded: Map<string, ExcludedJob>,
): Set<string> {
  if (only === undefined) return new Set();
  const unknown = only.filter((name) => resolveJobName(name, variants) === undefined);
  if (unknown.length > 0) {
    const names = [...new Set([...variants.keys(), ...jobs.keys()])];
    throw new InputError(
      unknown.map((id) => ({ message: `--only: unknown job "${id}"${didYouMean(id, names)}` })),
    );
  }
  const named = only.flatMap((name) => resolveJobName(name, variants)!);
  const selected = new Set<string>();
  postOrder(named, needsOf, (id) => selected.add(id));
  const listed = [...new Set(only)].sort().join(', ');
  for (const id of jobIds) {
    if (!selected.has(id))
      excluded.set(id, { job: id, reason: 'not-selected', message: `not selected (--only ${listed})` });
  }
  return new Set(named);
}

/** Excludes jobs whose `paths` match no changed file. Jobs named with --only are never filtered out. */
function applyPathFilters(
  jobs: ReadonlyMap<string, Variant>,
  changes: Changes,
  jobIds: string[],
  explicitlySelected: Set<string>,
  excluded: Map<string, ExcludedJob>,
): void {
  if (!changes.known) return;
  for (const id of jobIds) {
    const paths = jobs.get(id)!.definition.paths;
    if (paths === undefined || excluded.has(id) || explicitlySelected.has(id)) continue;
    if (firstMatchingFile(paths, changes.files) === undefined) {
      excluded.set(id, {
        job: id,
        reason: 'paths',
        message: `no changed file matches paths (${paths.join(', ')}); ${changes.files.length} file(s) changed`,
      });
    }
  }
}

/** A job that needs an excluded job cannot run: exclude it too, saying which need was missing. */
function excludeDependents(
  jobIds: string[],
  needsOf: (id: string) => string[],
  excluded: Map<string, ExcludedJob>,
): void {
  postOrder(jobIds, needsOf, (id) => {
    if (excluded.has(id)) return;
    const missing = needsOf(id).find((need) => excluded.has(need));
    if (missing === undefined) return;
    const why = excluded.get(missing)!;
    const because = why.reason === 'needs-excluded' ? 'was excluded' : `was excluded (${why.reason})`;
    excluded.set(id, { job: id, reason: 'needs-excluded', message: `needs "${missing}", which ${because}` });
  });
}

/** A forced executor replaces every executor of its kind: a host one runs everything there, a VM one every VM job. */
function resolveExecutor(job: ConcreteJob, config: JobsFile, context: PlanContext): Executor {
  const configured = job.executor ?? config.defaults?.executor ?? context.defaultExecutor;
  if (context.executor === undefined) return configured;
  if (!isVmExecutor(context.executor)) return context.executor;
  return isVmExecutor(configured) ? context.executor : configured;
}

function buildExecuteNode(
  config: JobsFile,
  variant: Variant,
  needs: string[],
  definitionOf: (job: string) => ConcreteJob | undefined,
  context: PlanContext,
  problems: Problem[],
): ExecuteNode {
  const { id, definition: job } = variant;
  const executor = resolveExecutor(job, config, context);
  const vm = isVmExecutor(executor);
  const imageName = vm ? (job.image ?? config.defaults?.image ?? null) : null;
  const image = imageName === null ? undefined : config.images?.[imageName];
  if (vm && image === undefined) {
    problems.push({
      path: ['jobs', variant.job],
      at: 'key',
      message: `runs on ${executor}, which needs a guest image: set jobs.${variant.job}.image or defaults.image (or run with --executor host)`,
    });
  }
  const env: Record<string, string> = {};
  const mergedEnv = { ...config.defaults?.env, ...job.env };
  for (const name of Object.keys(mergedEnv).sort()) env[name] = String(mergedEnv[name]);

  const dependsOn = [
    ...(imageName === null ? [] : [`image:${imageName}`]),
    ...needs.map((need) => `job:${need}`),
  ].sort();
  return {
    id: `job:${id}`,
    description: job.description ?? `Run job "${variant.name}"`,
    executor,
    dependsOn,
    kind: 'execute',
    type: vm ? 'vm_command' : 'host_command',
    job: id,
    needs,
    image: imageName,
    command: job.run,
    workingDirectory: job['working-directory'] ?? config.defaults?.['working-directory'] ?? '.',
    runAsRoot: job['run-as-root'] ?? false,
    timeoutMinutes:
      job['timeout-minutes'] ?? config.defaults?.['timeout-minutes'] ?? PLAN_DEFAULTS.timeoutMinutes,
    writableWorkspace: job['writable-workspace'] ?? false,
    env,
    secrets: [...new Set(job.secrets ?? [])].sort(),
    cpus: vm ? (job.cpus ?? image?.cpus ?? PLAN_DEFAULTS.cpus) : null,
    memory: vm ? (job.memory ?? image?.memory ?? PLAN_DEFAULTS.memory) : null,
    artifacts: job.artifacts ?? [],
    reports: Object.fromEntries(
      REPORT_FORMAT_NAMES.flatMap((name) => {
        const globs = job.reports?.[name] ?? [];
        return globs.length === 0 ? [] : [[name, globs]];
      }),
    ),
    caches: Object.entries(job.caches ?? {})
      .map(([name, guestPath]) => ({ name, guestPath }))
      .sort((a, b) => compareText(a.name, b.name)),
    ...(vm && (job.network ?? image?.network) === 'none' ? { network: 'none' as const } : {}),
    ...matrixOf(variant),
    ...retryOf(job, config),
    ...limitsOf(job, config),
    ...outputsOf(job, needs, definitionOf),
  };
}

/** A variant's matrix record (job, display name, values with keys sorted), absent for a job without a matrix. */
function matrixOf(variant: Variant): Pick<ExecuteNode, 'matrix'> {
  if (variant.values === undefined) return {};
  const values = Object.fromEntries(
    Object.keys(variant.values)
      .sort(compareText)
      .map((key) => [key, variant.values![key]!]),
  );
  return {
    matrix: {
      job: variant.job,
      name: variant.name,
      values,
      ...(variant.failFast === false ? { failFast: false as const } : {}),
    },
  };
}

/** A job's caps, present only when the jobs file sets any (plans without them keep their form). */
function limitsOf(job: ConcreteJob, config: JobsFile): Pick<ExecuteNode, 'limits'> {
  const limits = plannedLimits(job.limits, config.defaults?.limits);
  return limits === undefined ? {} : { limits };
}

/**
 * A job's outputs (what it keeps for the jobs that need it) and what it receives (the outputs of the jobs it needs
 * directly), each present only when there is something: plans without outputs keep their form.
 */
function outputsOf(
  job: ConcreteJob,
  needs: readonly string[],
  definitionOf: (job: string) => ConcreteJob | undefined,
): Pick<ExecuteNode, 'outputs' | 'receives'> {
  const outputs = job.outputs ?? [];
  const receives = [...needs].sort(compareText).flatMap((need) => {
    const paths = definitionOf(need)?.outputs ?? [];
    return paths.length === 0 ? [] : [{ from: need, paths }];
  });
  return {
    ...(outputs.length === 0 ? {} : { outputs }),
    ...(receives.length === 0 ? {} : { receives }),
  };
}

/** A job's retry settings for its node: absent when it does not retry (so plans of jobs that never retry keep their form). */
function retryOf(job: ConcreteJob, config: JobsFile): Pick<ExecuteNode, 'retry'> {
  const retries = job.retries ?? config.defaults?.retries ?? 0;
  if (retries === 0) return {};
  const on = job['retry-on'] ?? config.defaults?.['retry-on'] ?? RETRY_CAUSES;
  // In the fixed order of RETRY_CAUSES: the same settings always make the same plan.
  return { retry: { retries, on: RETRY_CAUSES.filter((cause) => on.includes(cause)) } };
}

/** One prepare node per distinct image used by a VM job, shared by all of them. */
function buildPrepareNodes(
  config: JobsFile,
  executeNodes: ExecuteNode[],
  context: PlanContext,
): PrepareNode[] {
  const users = new Map<string, ExecuteNode[]>();
  for (const node of executeNodes) {
    if (node.image === null) continue;
    pushTo(users, node.image, node);
  }
  return [...users.keys()].sort().map((name) => {
    const image = config.images![name]!;
    const usedBy = users.get(name)!.map((node) => node.id);
    return prepareNode(name, image, usedBy, context);
  });
}

function prepareNode(
  name: string,
  image: ImageDefinition,
  usedBy: string[],
  context: PlanContext,
): PrepareNode {
  const common = {
    id: `image:${name}`,
    description: image.description ?? `Prepare image "${name}"`,
    executor: HOST_EXECUTOR,
    dependsOn: [],
    kind: 'prepare' as const,
    image: name,
    arch: image.arch,
    cacheKey: imageCacheKey(image),
    cmdline: image.cmdline ?? null,
    usedBy,
  };
  if ('kernel' in image) {
    return { ...common, type: 'files', kernel: image.kernel, initrd: image.initrd, disk: image.disk ?? null };
  }
  if ('build' in image) {
    const build = typeof image.build === 'string' ? { run: image.build, inputs: [] } : image.build;
    return { ...common, type: 'build', run: build.run, inputs: build.inputs ?? [] };
  }
  if ('nix' in image) return { ...common, type: 'nix', installable: image.nix };
  // Always by digest, so the plan names exact bytes: the reference's own, or its tag resolved by the caller.
  const digest = /@(sha256:[a-f0-9]{64})$/.exec(image.oci)?.[1] ?? context.ociDigests?.[image.oci];
  if (digest === undefined)
    throw new InputError(`images.${name}.oci: the tag of ${image.oci} was not resolved to a digest`);
  return {
    ...common,
    cacheKey: sha256(canonicalJson({ v: 1, oci: digest })),
    type: 'oci',
    reference: image.oci,
    digest,
  };
}

/** A cache key from what determines an image's files (not its cpus/memory/description). */
export function imageCacheKey(image: ImageDefinition): string {
  const { description: _d, cpus: _c, memory: _m, cmdline: _k, network: _n, ...identity } = image;
  return sha256(canonicalJson({ v: 1, ...identity }));
}

/**
 * Orders nodes topologically: a node's stage is one more than its deepest dependency's, and within a
 * stage nodes sort by id. Both `vmplan show` and plan diffs stay readable and stable.
 */
export function orderNodes(nodes: PlanNode[]): { nodes: PlanNode[]; stages: string[][] } {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const stageOf = new Map<string, number>();
  postOrder(
    nodes.map((node) => node.id),
    (id) => byId.get(id)?.dependsOn ?? [],
    (id) => {
      const dependsOn = byId.get(id)!.dependsOn;
      stageOf.set(
        id,
        dependsOn.reduce((deepest, need) => Math.max(deepest, stageOf.get(need)! + 1), 0),
      );
    },
  );
  const stage = (id: string): number => stageOf.get(id)!;
  const ordered = [...nodes].sort((a, b) => stage(a.id) - stage(b.id) || compareText(a.id, b.id));
  const stages: string[][] = [];
  for (const node of ordered) {
    const index = stage(node.id);
    if (stages[index] === undefined) stages[index] = [];
    stages[index].push(node.id);
  }
  return { nodes: ordered, stages };
}

/** What must hold before the plan's nodes can run: executors, vfkit host architecture, secrets. */
export function buildPreconditions(nodes: PlanNode[]): Precondition[] {
  const executeNodes = nodes.filter((node): node is ExecuteNode => node.kind === 'execute');
  const executors = new Map<Executor, string[]>();
  const secrets = new Map<string, string[]>();
  for (const node of executeNodes) {
    pushTo(executors, node.executor, node.id);
    for (const name of node.secrets) pushTo(secrets, name, node.id);
  }
  const executorOf = new Map(executeNodes.map((node) => [node.id, node.executor]));
  // Executors that boot only the host's own architecture: the host must match each image they boot.
  const hostArchs = new Map<string, string[]>();
  for (const node of nodes) {
    if (node.kind !== 'prepare') continue;
    const onHostArch = node.usedBy.filter((id) => descriptorOf(executorOf.get(id)!).guestArchs === 'host');
    for (const id of onHostArch) pushTo(hostArchs, node.arch, id);
  }
  return [
    ...[...executors.keys()].sort().map(
      (executor): Precondition => ({
        kind: 'executor',
        executor,
        nodes: executors.get(executor)!.sort(),
      }),
    ),
    ...[...hostArchs.keys()].sort().map(
      (arch): Precondition => ({
        kind: 'host-arch',
        arch: arch as 'arm64' | 'amd64',
        nodes: hostArchs.get(arch)!.sort(),
      }),
    ),
    ...[...secrets.keys()].sort().map(
      (name): Precondition => ({
        kind: 'secret',
        name,
        nodes: secrets.get(name)!.sort(),
      }),
    ),
  ];
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** The plan's workspace settings; `includeIgnored` only when set, so plans without it keep their bytes and id. */
function workspaceOf(config: JobsFile): Plan['workspace'] {
  const includeIgnored = config.workspace?.['include-ignored'] ?? [];
  return {
    exclude: config.workspace?.exclude ?? [],
    ...(includeIgnored.length > 0 ? { includeIgnored } : {}),
    mode: config.workspace?.mode ?? 'overlay',
  };
}
