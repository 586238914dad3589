// Plan build time for 100, 1,000 and 10,000 jobs (goal: < 1 s for 10,000).
// Measures each phase separately: parse + validate the jobs file, buildPlan, serialize (validate on write).
import { parseJobsFile } from '../src/config/parse.js';
import { buildPlan } from '../src/plan/build.js';
import { serializePlan } from '../src/plan/io.js';
import { median, table, timeIt } from './support.js';
import { syntheticJobsFile } from './support-plans.js';

const rows: string[][] = [];
for (const count of [100, 1000, 10000]) {
  const text = syntheticJobsFile(count);
  const runs = count >= 10000 ? 5 : 10;
  const parse = median(timeIt(runs, () => parseJobsFile(text, 'vmplan.yml')));
  const { config } = parseJobsFile(text, 'vmplan.yml');
  const context = {
    source: { repository: 'acme/mono', commit: 'a'.repeat(40), ref: 'refs/heads/main', event: 'push' },
    jobsFile: { name: 'vmplan.yml', sha256: 'b'.repeat(64) },
    trust: { trusted: true, reason: 'trust: trusted' },
    // Unknown changes: nothing is filtered out, so every job is planned (the most work).
    changes: { known: false as const, reason: 'bench' },
    defaultExecutor: 'vfkit' as const,
    createdAt: new Date().toISOString(),
  };
  const build = median(timeIt(runs, () => buildPlan(config, context)));
  const plan = buildPlan(config, context);
  const serialize = median(timeIt(runs, () => serializePlan(plan)));
  const bytes = serializePlan(plan).length;
  rows.push([
    String(count),
    `${(text.length / 1024).toFixed(0)} KiB`,
    parse.toFixed(1),
    build.toFixed(1),
    serialize.toFixed(1),
    (parse + build + serialize).toFixed(1),
    `${(bytes / 1024).toFixed(0)} KiB`,
    String(plan.nodes.length),
  ]);
}
console.log('## bench/plan: plan build time (median ms)');
console.log(
  table(
    ['jobs', 'jobs file', 'parse+validate', 'buildPlan', 'serialize', 'total', 'plan.json', 'nodes'],
    rows,
  ),
);
