// Scale-out benchmarks (issue: shards, merged reports, reruns):
// - planning 1,000 jobs and cutting the plan into 10 shards; merging 10 results.json back;
// - balance (slowest shard / mean shard) with recorded durations vs spreading by job count.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJobsFile } from '../src/config/parse.js';
import { buildPlan } from '../src/plan/build.js';
import type { Plan } from '../src/plan/schema.js';
import { assignShards, jobGroups, shardPlan } from '../src/plan/shard.js';
import { readResults, writeResults } from '../src/results/io.js';
import { mergeResults } from '../src/results/merge.js';
import type { Results } from '../src/results/schema.js';
import { median, table, timeIt } from './support.js';
import { monorepoJobsFile } from './support-plans.js';

const SHARDS = 10;
const text = monorepoJobsFile(250); // 1,000 jobs
const plan: Plan = buildPlan(parseJobsFile(text, 'bench.yml').config, {
  source: { repository: 'acme/mono', commit: 'a'.repeat(40), ref: 'refs/heads/main', event: 'push' },
  jobsFile: { name: 'bench.yml', sha256: 'b'.repeat(64) },
  trust: { trusted: true, reason: 'trust: trusted' },
  changes: { known: false, reason: 'bench' },
  defaultExecutor: 'vfkit',
  createdAt: new Date().toISOString(),
});
const jobs = plan.nodes.flatMap((node) => (node.kind === 'execute' ? [node.job] : []));

// Durations with a long tail, as real suites have: most jobs short, a few very long.
let seed = 7;
const random = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const durations = Object.fromEntries(jobs.map((job) => [job, Math.round(5_000 + 600_000 * random() ** 6)]));
// The plan as a planning step given recorded durations makes it (they are part of the plan).
const recorded: Plan = buildPlan(parseJobsFile(text, 'bench.yml').config, { ...contextOf(plan), durations });

const planMs = median(
  timeIt(5, () => buildPlan(parseJobsFile(text, 'bench.yml').config, { ...contextOf(plan) })),
);
const shardMs = median(
  timeIt(5, () =>
    Array.from({ length: SHARDS }, (_, i) => shardPlan(recorded, { index: i + 1, count: SHARDS })),
  ),
);
const results: Results[] = Array.from({ length: SHARDS }, (_, i) => {
  const shard = shardPlan(recorded, { index: i + 1, count: SHARDS });
  return {
    schemaVersion: 1,
    planId: recorded.planId,
    shard: { index: i + 1, count: SHARDS },
    runId: `20261129T100000Z-${String(i).padStart(8, '0')}`,
    status: 'passed',
    startedAt: '2026-11-29T10:00:00Z',
    finishedAt: '2026-11-29T10:30:00Z',
    jobs: Object.fromEntries(
      shard.nodes.flatMap((node) =>
        node.kind === 'execute'
          ? [
              [
                node.job,
                {
                  status: 'passed' as const,
                  description: node.description,
                  executor: node.executor,
                  durationMs: durations[node.job]!,
                  exitCode: 0,
                  message: null,
                  logTail: 'ok\n',
                  logTruncated: false,
                  annotations: [],
                  tests: null,
                  attempts: [],
                  flaky: false,
                  earlier: null,
                  startedAt: null,
                  phases: [],
                },
              ],
            ]
          : [],
      ),
    ),
  };
});
// Merging as the report step does: read and validate every results.json, then merge.
const resultsDir = mkdtempSync(join(tmpdir(), 'vmplan-bench-results-'));
const files = results.map((one, i) => {
  const path = join(resultsDir, `results-${i}.json`);
  writeResults(path, one);
  return path;
});
const mergeMs = median(
  timeIt(10, () =>
    mergeResults(
      recorded,
      files.map((path) => readResults(path)),
    ),
  ),
);
rmSync(resultsDir, { recursive: true, force: true });

function balance(assignment: string[][]): { max: number; mean: number } {
  const loads = assignment.map((shard) => shard.reduce((sum, job) => sum + durations[job]!, 0));
  return { max: Math.max(...loads), mean: loads.reduce((a, b) => a + b, 0) / loads.length };
}
const byDurations = balance(assignShards(recorded, SHARDS));
const byCount = balance(assignShards(plan, SHARDS));

console.log(`## bench/scale: ${jobs.length} jobs, ${SHARDS} shards (median ms)`);
console.log(
  table(
    ['measure', 'result'],
    [
      ['plan 1,000 jobs (parse + build)', `${planMs.toFixed(0)} ms`],
      [`cut the plan into ${SHARDS} shards (all of them)`, `${shardMs.toFixed(0)} ms`],
      [`read, validate and merge ${SHARDS} results.json`, `${mergeMs.toFixed(1)} ms`],
      [
        'balance with recorded durations (slowest / mean shard)',
        `${(byDurations.max / byDurations.mean).toFixed(3)} (slowest ${(byDurations.max / 60000).toFixed(1)} min)`,
      ],
      [
        'balance by job count alone (same durations)',
        `${(byCount.max / byCount.mean).toFixed(3)} (slowest ${(byCount.max / 60000).toFixed(1)} min)`,
      ],
      [
        'job groups (jobs tied together by needs)',
        `${jobGroups(plan).length} groups, the largest ${Math.max(...jobGroups(plan).map((group) => group.length))} job(s)`,
      ],
    ],
  ),
);

function contextOf(source: Plan) {
  return {
    source: {
      repository: source.source.repository,
      commit: source.source.commit,
      ref: source.source.ref,
      event: source.source.event,
    },
    jobsFile: { name: 'bench.yml', sha256: 'b'.repeat(64) },
    trust: { trusted: true, reason: 'trust: trusted' },
    changes: { known: false as const, reason: 'bench' },
    defaultExecutor: 'vfkit' as const,
    createdAt: new Date().toISOString(),
  };
}
