import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repositoryRoot } from '../../context/local-context.js';
import { reconcileRun } from '../../engine/reconcile.js';
import { InputError } from '../../errors.js';
import { type CacheItem, describeFreed, describeItem, pruneCache } from '../../images/cache-gc.js';
import { readPlan } from '../../plan/io.js';
import { retargetPlan } from '../../plan/retarget.js';
import type { Plan } from '../../plan/schema.js';
import { selectFromPlan } from '../../plan/select.js';
import type { StateLayout } from '../../records/layout.js';
import {
  jobCounts,
  renderPhaseTables,
  renderRunTable,
  runDuration,
  textTable,
} from '../../records/render.js';
import type { NodeRecord, RunRecord } from '../../records/schema.js';
import { listRunIds, readNodeRecords, readRunRecord } from '../../records/store.js';
import { plain } from '../../report/test-lines.js';
import { findFlaky, type RunResults } from '../../results/flaky.js';
import { readResults } from '../../results/io.js';
import { formatBytes, parseBytes } from '../../util/bytes.js';
import { didYouMean } from '../../util/suggest.js';
import { parseCommandArgs } from '../args.js';
import { type CliIo, EXIT } from '../io.js';
import { humanIo, JSON_FLAG, printJson } from '../json.js';
import type { Flags } from '../spec.js';
import { executorFlag, planFromArgs, planningOptions } from './plan.js';
import { CACHE_DIR, executePlan, runningOptions, stateLayout, trustFromFlags } from './run.js';

/** `--state-dir`, for every command that reads runs. */
export const STATE_DIR = {
  'state-dir': {
    type: 'string',
    value: 'DIR',
    description: 'Where runs are kept (default .vmplan at the repository root).',
  },
} as const satisfies Flags;

/** The flags of `vmplan list`. */
export const LIST_FLAGS = { ...STATE_DIR, ...JSON_FLAG } as const satisfies Flags;

/** The flags of `vmplan status`. */
export const STATUS_FLAGS = {
  ...LIST_FLAGS,
  timings: {
    type: 'boolean',
    description:
      "Where each job's time went: preparation, the hypervisor's start, boot, setup, the command, collection, shutdown.",
  },
} as const satisfies Flags;

/** The flags of `vmplan logs`. */
export const LOGS_FLAGS = {
  ...STATE_DIR,
  host: { type: 'boolean', description: "Only vmplan's log of the job (host.log)." },
  guest: { type: 'boolean', description: "Only the job's own output from the guest (guest.log)." },
} as const satisfies Flags;

/** The flags of `vmplan gc`. */
export const GC_FLAGS = {
  ...STATE_DIR,
  ...CACHE_DIR,
  keep: { type: 'string', value: 'N', description: 'How many of the newest runs to keep.' },
  'max-size': {
    type: 'string',
    value: 'SIZE',
    description:
      'Prune the cache folder (images, named caches) to this size, least recently used first (e.g. 20GB).',
  },
  'max-age': {
    type: 'string',
    value: 'DAYS',
    description: 'Prune cache entries not used for this many days.',
  },
  'dry-run': { type: 'boolean', description: 'Say what would be deleted; delete nothing.' },
  ...JSON_FLAG,
} as const satisfies Flags;

/** The flags of `vmplan rerun`. */
export const RERUN_FLAGS = {
  ...runningOptions,
  failed: { type: 'boolean', description: 'Rerun only the jobs that did not pass, and what they need.' },
  current: {
    type: 'boolean',
    description:
      'Run on the working tree as it is now (a new snapshot, planned from the jobs file as it is now), not on the snapshot of the run repeated.',
  },
  executor: planningOptions.executor,
} as const satisfies Flags;

/**
 * Resolves a run argument: an id, a unique start of one (`20261203T07`, or the random suffix's start, as `list`
 * shows it), "latest", or nothing (the latest run).
 */
export function resolveRunId(layout: StateLayout, given: string | undefined): string {
  const ids = listRunIds(layout);
  if (given === undefined || given === 'latest') {
    const latest = ids[ids.length - 1];
    if (latest === undefined) throw new InputError(`no runs in ${layout.root} yet (vmplan run starts one)`);
    return latest;
  }
  if (ids.includes(given)) return given;
  if (!/^[0-9A-Za-z-]+$/.test(given))
    throw new InputError(
      `"${given}" is not a run id (expected e.g. 20261129T102300Z-1a2b3c4d, a unique start of one, or latest; see vmplan list)`,
    );
  const matching = ids.filter((id) => id.startsWith(given) || id.split('-')[1]?.startsWith(given) === true);
  if (matching.length === 1) return matching[0]!;
  if (matching.length > 1)
    throw new InputError(
      `run "${given}" is ambiguous: ${matching.length} runs match (${matching.slice(-3).join(', ')}${matching.length > 3 ? ', …' : ''}); give more of the id`,
    );
  throw new InputError(`no run "${given}" in ${layout.root}${didYouMean(given, ids)}`);
}

/** `vmplan status [RUN] [--state-dir DIR]`: the table of one run (default the latest). */
export async function statusCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('status', args, STATUS_FLAGS);
  const layout = stateLayout(io, values['state-dir']);
  const runId = resolveRunId(layout, positionals[0]);
  const run = await reconcileRun(layout, runId);
  const plan = readPlan(layout.planFile(runId));
  const nodes = readNodeRecords(layout, runId, plan);
  const ok = run.status === 'passed' || run.status === 'running';
  if (values.json === true) printJson(io, 'status', ok, { run, nodes });
  else if (values.timings === true) io.stdout(`${renderPhaseTables(nodes)}\n`);
  else {
    io.stdout(`${renderRunTable(run, nodes, plan)}\n`);
    if (run.rerunOf !== null) io.stdout(`Rerun of ${run.rerunOf}\n`);
  }
  return ok ? EXIT.ok : EXIT.failed;
}

/** The jobs' records of a run that is still running (none when they cannot be read: list still lists it). */
function runningNodes(layout: StateLayout, runId: string): NodeRecord[] {
  try {
    return readNodeRecords(layout, runId, readPlan(layout.planFile(runId)));
  } catch {
    return [];
  }
}

/** `vmplan list [--state-dir DIR]`: every run, newest first. */
export async function listCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs('list', args, LIST_FLAGS);
  const layout = stateLayout(io, values['state-dir']);
  const rows: string[][] = [];
  const runs: (RunRecord | { runId: string; unreadable: string })[] = [];
  for (const runId of listRunIds(layout).reverse()) {
    let run: RunRecord;
    try {
      run = await reconcileRun(layout, runId);
    } catch (error) {
      const why = (error as Error).message.split('\n')[0]!;
      rows.push([runId, 'unreadable', '', '', '', why]);
      runs.push({ runId, unreadable: why });
      continue;
    }
    runs.push(run);
    rows.push([
      runId,
      run.status,
      jobCounts(run, run.status === 'running' ? runningNodes(layout, runId) : []),
      runDuration(run),
      run.planId.slice(0, 12),
      run.rerunOf === null ? '' : `rerun of ${run.rerunOf}`,
    ]);
  }
  if (values.json === true) {
    printJson(io, 'list', true, { runs });
    return EXIT.ok;
  }
  io.stdout(
    rows.length === 0
      ? `no runs in ${layout.root}\n`
      : `${textTable(['RUN', 'STATUS', 'JOBS', 'DURATION', 'PLAN', ''], rows)}\n`,
  );
  return EXIT.ok;
}

/** The flags of `vmplan flaky`. */
export const FLAKY_FLAGS = {
  ...STATE_DIR,
  runs: { type: 'string', value: 'N', description: 'How many of the newest runs to look at (default 20).' },
  ...JSON_FLAG,
} as const satisfies Flags;

/**
 * `vmplan flaky [--runs N]`: the jobs and tests that flipped in the newest N runs (a retry or a rerun that passed,
 * a test that failed in one attempt and passed in another, runs of one snapshot that disagree).
 */
export async function flakyCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs('flaky', args, FLAKY_FLAGS);
  if (!/^[1-9]\d*$/.test(values.runs ?? '20'))
    throw new InputError(`--runs: expected a positive whole number, found "${values.runs}"`);
  const count = Number(values.runs ?? '20');
  const layout = stateLayout(io, values['state-dir']);
  const runs: RunResults[] = [];
  const unreadable: string[] = [];
  const looked = listRunIds(layout).slice(-count);
  for (const runId of looked) {
    const path = layout.resultsFile(runId);
    if (!existsSync(path)) continue;
    try {
      runs.push({ runId, snapshot: readRunRecord(layout, runId).snapshotRun, results: readResults(path) });
    } catch (error) {
      unreadable.push(`${runId}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  const findings = findFlaky(runs);
  if (values.json === true) {
    printJson(io, 'flaky', true, { runs: runs.map((run) => run.runId), findings, unreadable });
    return EXIT.ok;
  }
  for (const line of unreadable) io.stderr(`vmplan: skipped ${line}\n`);
  const scope = `the last ${looked.length} run(s) in ${layout.root}`;
  if (findings.length === 0) {
    io.stdout(`Nothing flipped in ${scope}.\n`);
    return EXIT.ok;
  }
  // Test names come from the jobs' reports: printed without their control characters.
  const rows = findings.map((finding) => [
    finding.job,
    plain(finding.test ?? '(the job)'),
    plain(finding.how),
    finding.runs.join(', '),
  ]);
  io.stdout(`Flaky in ${scope}:\n${textTable(['JOB', 'TEST', 'HOW', 'RUNS'], rows)}\n`);
  return EXIT.ok;
}

/** `vmplan logs RUN [JOB] [--host|--guest]`: a job's logs, or every node's. */
export async function logsCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('logs', args, LOGS_FLAGS);
  const layout = stateLayout(io, values['state-dir']);
  const runId = resolveRunId(layout, positionals[0]);
  const plan = readPlan(layout.planFile(runId));
  const job = positionals[1];
  const nodes = plan.nodes.filter(
    (node) => job === undefined || (node.kind === 'execute' && node.job === job),
  );
  if (nodes.length === 0) {
    const jobs = plan.nodes.flatMap((node) => (node.kind === 'execute' ? [node.job] : []));
    throw new InputError(`run ${runId} has no job "${job}"${didYouMean(job ?? '', jobs)}`);
  }
  const kinds: ('host' | 'guest')[] =
    values.guest === true && values.host !== true
      ? ['guest']
      : values.host === true && values.guest !== true
        ? ['host']
        : ['host', 'guest'];
  for (const node of nodes) {
    for (const kind of kinds) {
      const path = join(layout.nodeDir(runId, node), `${kind}.log`);
      if (!existsSync(path)) {
        if (job !== undefined && kinds.length === 1)
          io.stderr(`${node.id}: no ${kind}.log (the job did not produce one)\n`);
        continue;
      }
      if (nodes.length > 1 || kinds.length > 1) io.stdout(`==> ${node.id} ${kind}.log <==\n`);
      io.stdout(readFileSync(path, 'utf8'));
    }
  }
  return EXIT.ok;
}

/** How long a run folder without run.json is taken for a run being created, not a broken one. */
const STARTING_RUN_GRACE_MS = 10 * 60_000;

/**
 * `vmplan gc [--keep N] [--max-size SIZE] [--max-age DAYS] [--dry-run]`: deletes all but the newest N runs (never a
 * running run or a snapshot still in use) and prunes the cache folder (never an image or cache a run is using).
 */
export async function gcCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs('gc', args, GC_FLAGS);
  const keep = wholeNumber('--keep N', values.keep);
  const maxAgeDays = wholeNumber('--max-age DAYS', values['max-age']);
  const maxBytes = values['max-size'] === undefined ? undefined : parseBytes(values['max-size']);
  if (values['max-size'] !== undefined && maxBytes === undefined)
    throw new InputError(
      `vmplan gc: --max-size: expected a size such as 20GB or 500MB, found "${values['max-size']}"`,
    );
  if (keep === undefined && maxBytes === undefined && maxAgeDays === undefined)
    throw new InputError(
      'vmplan gc: say what to delete: --keep N (runs), --max-size SIZE or --max-age DAYS (caches)',
    );
  const layout = stateLayout(io, values['state-dir'], values['cache-dir']);
  const dryRun = values['dry-run'] === true;
  const json = values.json === true;
  const human = humanIo(io, json);
  const verb = dryRun ? 'Would delete' : 'Deleted';
  let runs: { folder: string; deleted: string[]; kept: number } | null = null;
  if (keep !== undefined) {
    const doomed = await runsToDelete(layout, keep);
    if (!dryRun) for (const id of doomed) rmSync(layout.runDir(id), { recursive: true, force: true });
    const kept = listRunIds(layout).length - (dryRun ? doomed.length : 0);
    runs = { folder: layout.runsDir, deleted: doomed, kept };
    human.stdout(`${verb} ${doomed.length} run(s); ${kept} kept in ${layout.runsDir}\n`);
  }
  let cache: Record<string, unknown> | null = null;
  if (maxBytes !== undefined || maxAgeDays !== undefined) {
    const now = Date.now();
    const result = await pruneCache(
      layout.cacheDir,
      {
        ...(maxBytes === undefined ? {} : { maxBytes }),
        ...(maxAgeDays === undefined ? {} : { maxAgeMs: maxAgeDays * 86_400_000 }),
      },
      { dryRun, nowMs: now },
    );
    for (const item of result.removed) human.stdout(`${verb} ${describeItem(item, now)}\n`);
    for (const item of result.skipped)
      human.stdout(`Kept ${describeItem(item, now)}: a run started using it\n`);
    human.stdout(
      `Cache ${layout.cacheDir}: ${verb.toLowerCase()} ${result.removed.length} item(s), ${formatBytes(result.keptBytes)} ${dryRun ? 'would be ' : ''}kept; ${dryRun ? 'would have ' : ''}${describeFreed(result.freedBytes)}\n`,
    );
    cache = {
      folder: layout.cacheDir,
      removed: result.removed.map(itemDocument),
      skipped: result.skipped.map(itemDocument),
      keptBytes: result.keptBytes,
      freedBytes: result.freedBytes,
    };
  }
  if (json) printJson(io, 'gc', true, { dryRun, runs, cache });
  return EXIT.ok;
}

/** A cache item in `gc --json`: what it is, where, how big, when last used. */
function itemDocument(item: CacheItem): Record<string, unknown> {
  return {
    kind: item.kind,
    label: item.label,
    path: item.path,
    bytes: item.bytes,
    lastUsed: new Date(item.lastUsedMs).toISOString(),
    inUse: item.inUse,
  };
}

/** The runs `gc --keep N` deletes: all but the newest N, never a running one or a snapshot a kept rerun uses. */
async function runsToDelete(layout: StateLayout, keep: number): Promise<string[]> {
  const ids = listRunIds(layout);
  const runs = new Map<string, RunRecord | undefined>();
  for (const id of ids) runs.set(id, await reconcileRun(layout, id).catch(() => undefined));
  const kept = new Set(ids.slice(Math.max(0, ids.length - keep)));
  for (const [id, run] of runs) {
    if (run?.status === 'running') kept.add(id);
    // A folder without a readable run.json may be a run that is just starting: leave young ones alone.
    if (run === undefined && Date.now() - statSync(layout.runDir(id)).mtimeMs < STARTING_RUN_GRACE_MS)
      kept.add(id);
  }
  // A kept rerun still uses the snapshot of the run it repeats.
  for (const id of [...kept]) {
    const snapshotRun = runs.get(id)?.snapshotRun;
    if (snapshotRun !== undefined) kept.add(snapshotRun);
  }
  return ids.filter((id) => !kept.has(id));
}

/** An optional whole-number flag, checked. */
function wholeNumber(flag: string, given: string | undefined): number | undefined {
  if (given === undefined) return undefined;
  if (!/^\d+$/.test(given))
    throw new InputError(`vmplan gc: ${flag}: expected a whole number ≥ 0, found "${given}"`);
  return Number(given);
}

/**
 * `vmplan rerun RUN [--failed] [--current] [--executor X]`: runs a run again exactly as it ran (its plan on its
 * snapshot), or with --current on the working tree as it is now (a new snapshot, planned from the jobs file as it
 * is now: the rerun after a fix); --failed takes only the jobs that did not pass, and what they need.
 */
export async function rerunCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('rerun', args, RERUN_FLAGS);
  if (positionals.length !== 1) throw new InputError('vmplan rerun: expected one run id (or "latest")');
  const layout = stateLayout(io, values['state-dir']);
  const runId = resolveRunId(layout, positionals[0]);
  const previous = await reconcileRun(layout, runId);
  if (previous.status === 'running') throw new InputError(`run ${runId} is still running`);
  let plan = readPlan(layout.planFile(runId));
  const records = readNodeRecords(layout, runId, plan);
  const notPassed = records.flatMap((record) =>
    record.kind === 'execute' && record.status !== 'passed' && record.job !== null ? [record.job] : [],
  );
  if (values.failed === true && notPassed.length === 0) {
    io.stdout(`Every job of run ${runId} passed: nothing to rerun.\n`);
    return EXIT.ok;
  }
  const what =
    values.failed === true
      ? `the jobs of run ${runId} that did not pass (${notPassed.join(', ')})`
      : `run ${runId}`;
  if (values.current === true)
    return rerunOnCurrentTree(io, plan, runId, what, values.failed === true ? notPassed : undefined, values);
  if (values.failed === true) {
    // Jobs that passed and kept outputs there are not run again: the jobs that need them get those outputs.
    const reuse = new Map(
      records.flatMap((record) =>
        record.kind === 'execute' &&
        record.status === 'passed' &&
        record.job !== null &&
        existsSync(join(layout.runDir(runId), 'jobs', record.job, 'outputs'))
          ? [[record.job, runId] as const]
          : [],
      ),
    );
    plan = selectFromPlan(plan, notPassed, `passed in run ${runId}`, new Date().toISOString(), reuse);
  }
  plan = retargeted(io, plan, values.executor);
  io.stdout(
    `Rerunning ${what} exactly as it ran: its plan on its snapshot (the repository as it was then). To run on your working tree as it is now (after a fix), add --current.\n`,
  );
  return executePlan(io, plan, layout.planFile(runId), values, {
    of: runId,
    snapshotRun: previous.snapshotRun,
  });
}

/** A plan moved to another executor (--executor), saying what changed. */
function retargeted(io: CliIo, plan: Plan, executor: string | undefined): Plan {
  const target = executorFlag(executor);
  if (target === undefined) return plan;
  const moved = retargetPlan(plan, target, new Date().toISOString());
  io.stderr(`vmplan: ${moved.change ?? `--executor ${executor}: the plan already runs every job so`}\n`);
  return moved.plan;
}

/** Reruns a run's jobs (or `only` of them) on the working tree as it is now: a new plan and a new snapshot. */
async function rerunOnCurrentTree(
  io: CliIo,
  earlier: Plan,
  runId: string,
  what: string,
  only: string[] | undefined,
  values: {
    executor?: string;
    trust?: string;
    'trusted-image-path'?: string[];
    'untrusted-network'?: string;
  },
): Promise<number> {
  const jobs = only ?? earlier.nodes.flatMap((node) => (node.kind === 'execute' ? [node.job] : []));
  const jobsFile = resolve(repositoryRoot(io.cwd), earlier.source.jobsFile);
  const plan = await planFromArgs(
    io,
    jobsFile,
    { only: jobs, executor: values.executor },
    trustFromFlags(values),
  );
  io.stdout(
    `Rerunning ${what} on the working tree as it is now: a new snapshot, planned from ${earlier.source.jobsFile} as it is now. Without --current, vmplan rerun repeats the run exactly as it ran.\n`,
  );
  return executePlan(io, plan, plan.source.jobsFile, values, { of: runId, snapshotRun: undefined });
}
