// Runs the image preparer for the first prepare node of a jobs file, in this process or as a child process
// (`node --import tsx test/support/prepare-image.ts ROOT STATE_DIR JOBS_FILE`), printing the outcome as JSON.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseJobsFile } from '../../src/config/parse.js';
import type { PrepareOutcome } from '../../src/images/contract.js';
import { HostImagePreparer } from '../../src/images/preparer.js';
import { buildPlan } from '../../src/plan/build.js';
import { JobLog } from '../../src/records/job-log.js';
import { Masker } from '../../src/util/mask.js';

/** Prepares the plan's first image with the real preparer; returns its outcome and how long it took. */
export async function prepareFirstImage(
  root: string,
  stateDir: string,
  yaml: string,
): Promise<PrepareOutcome & { ms: number; log: string }> {
  const { config } = parseJobsFile(yaml, 'vmplan.yml');
  const plan = buildPlan(config, {
    source: { repository: null, commit: null, ref: null, event: 'test' },
    jobsFile: { name: 'vmplan.yml', sha256: '0'.repeat(64) },
    trust: { trusted: true, reason: 'trust: trusted' },
    changes: { known: false, reason: 'test' },
    defaultExecutor: 'qemu',
    createdAt: new Date().toISOString(),
  });
  const node = plan.nodes.find((candidate) => candidate.kind === 'prepare');
  if (node === undefined || node.kind !== 'prepare') throw new Error('no image in the plan');
  const nodeDir = join(stateDir, 'node', `${process.pid}-${Date.now()}`);
  const log = new JobLog(join(nodeDir, 'host.log'), new Masker([]), undefined);
  const started = performance.now();
  const outcome = await new HostImagePreparer(join(stateDir, 'cache')).prepare({
    runId: 'test',
    plan,
    node,
    nodeDir,
    repositoryRoot: root,
    signal: new AbortController().signal,
    log,
    killGraceMs: () => 1000,
    onProcess: () => undefined,
  });
  const ms = performance.now() - started;
  await log.close();
  return { ...outcome, ms, log: readFileSync(join(nodeDir, 'host.log'), 'utf8') };
}

if (
  process.argv[1] !== undefined &&
  resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)
) {
  const [root, stateDir, jobsFile] = process.argv.slice(2) as [string, string, string];
  const outcome = await prepareFirstImage(root, stateDir, readFileSync(jobsFile, 'utf8'));
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}
