import { join } from 'node:path';
import { isOutOfSpace } from '../errors.js';
import type { ExecuteNode, Plan } from '../plan/schema.js';
import type { StateLayout } from '../records/layout.js';
import type { NodeRecord } from '../records/schema.js';
import type { RunStore } from '../records/store.js';
import { jobReport } from '../report/collect.js';
import type { ImageReport, RunReport } from '../report/model.js';
import { timelineHtml } from '../report/timeline.js';
import { buildResults } from '../results/build.js';
import { writeResults } from '../results/io.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { JobTracker } from './job-tracker.js';
import type { CollectedRun } from './ports.js';

/** How a prepare node's image was made, for the summary's image table. */
export function imageReports(plan: Plan, records: ReadonlyMap<string, NodeRecord>): ImageReport[] {
  return plan.nodes.flatMap((node) => {
    if (node.kind !== 'prepare') return [];
    const image = records.get(node.id)!;
    return [
      {
        image: node.image,
        status: image.status,
        cached: image.cached === true,
        durationMs: image.durationMs,
        message: image.message,
        startedAt: image.startedAt,
      },
    ];
  });
}

/** The run's HTML timeline, `timeline.html` in the run folder (and so in the logs artifact). */
export function timelinePath(runDir: string): string {
  return join(runDir, 'timeline.html');
}

/** Writes the run's HTML timeline; a full disk is an infrastructure problem, not the end of the reports. */
function writeTimeline(runDir: string, report: RunReport, store: RunStore): void {
  try {
    writeFileAtomic(timelinePath(runDir), timelineHtml(report, `vmplan run ${report.run?.runId ?? ''}`));
  } catch (error) {
    if (!isOutOfSpace(error)) throw error;
    store.addInfrastructureProblem(
      `timeline.html could not be written: the state folder is out of space (${(error as NodeJS.ErrnoException).code})`,
    );
  }
}

/**
 * What a finished run leaves for the reports, from its records: a report per job, the images, every
 * annotation; and its results.json (what this runner ran of the plan `basePlanId`, for merging across shards).
 */
export function collectRun(
  plan: Plan,
  basePlanId: string,
  store: RunStore,
  layout: StateLayout,
  tracker: JobTracker,
  signal: NodeJS.Signals | undefined,
): CollectedRun {
  const record = store.record;
  const records = store.allNodes();
  const byId = new Map(records.map((node) => [node.nodeId, node]));
  const executeNodes = plan.nodes.filter((node): node is ExecuteNode => node.kind === 'execute');
  const jobs = executeNodes.map((node) =>
    jobReport(layout, record.runId, node, byId.get(node.id)!, tracker.tests(node), tracker.earlier(node)),
  );
  const annotations = executeNodes.flatMap((node) => tracker.annotations(node));
  const runDir = layout.runDir(record.runId);
  const resultsPath = layout.resultsFile(record.runId);
  try {
    writeResults(resultsPath, buildResults(basePlanId, plan.scope.shard, record, jobs, annotations));
  } catch (error) {
    if (!isOutOfSpace(error)) throw error;
    store.addInfrastructureProblem(
      `results.json could not be written: the state folder is out of space (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  const images = imageReports(plan, byId);
  writeTimeline(runDir, { plan, run: record, jobs, images, links: {} }, store);
  return {
    plan,
    record,
    nodes: records,
    jobs,
    images,
    annotations,
    resultsPath,
    runDir,
    signal,
    infrastructure: [...store.infrastructureProblems],
  };
}
