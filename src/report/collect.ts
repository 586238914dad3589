import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import picomatch from 'picomatch';
import { dedupe, parseDiagnostics, relativizer } from '../parsers/diagnostics/parse.js';
import { reportFormat } from '../parsers/formats/registry.js';
import type { Diagnostic } from '../parsers/model.js';
import { testFailureDiagnostics } from '../parsers/test-diagnostics.js';
import type { ExecuteNode } from '../plan/schema.js';
import type { StateLayout } from '../records/layout.js';
import type { NodeRecord } from '../records/schema.js';
import { compareText } from '../util/canonical-json.js';
import type { JobReport } from './model.js';

/** How much of the end of a log the reports show. */
export const LOG_TAIL_BYTES = 64 * 1024;
/** How much of the end of a log is searched for diagnostics (a job can print gigabytes). */
const DIAGNOSTIC_SCAN_BYTES = 8 * 1024 * 1024;

/** The last `bytes` of a file (cut at a line start), and whether that was less than the whole file. */
export function readTail(path: string, bytes: number): { text: string; truncated: boolean } {
  if (!existsSync(path)) return { text: '', truncated: false };
  const size = statSync(path).size;
  const start = Math.max(0, size - bytes);
  const buffer = Buffer.alloc(size - start);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, start);
  } finally {
    closeSync(fd);
  }
  let text = buffer.toString('utf8');
  if (start > 0) text = text.slice(text.indexOf('\n') + 1);
  return { text, truncated: start > 0 };
}

/** The log a job's reports quote: the guest's output for VM jobs (when it has any), else host.log. */
function mainLog(jobDir: string): string {
  const guest = join(jobDir, 'guest.log');
  return existsSync(guest) && statSync(guest).size > 0 ? guest : join(jobDir, 'host.log');
}

/** A job's report from its record and the end of its log. */
export function jobReport(
  layout: StateLayout,
  runId: string,
  node: ExecuteNode,
  record: NodeRecord,
): JobReport {
  const tail = readTail(mainLog(layout.nodeDir(runId, node)), LOG_TAIL_BYTES);
  return {
    job: node.job,
    description: node.description,
    executor: node.executor,
    status: record.status,
    durationMs: record.durationMs,
    exitCode: record.exitCode,
    message: record.message,
    logTail: tail.text,
    logTruncated: tail.truncated,
  };
}

/**
 * File/line diagnostics of a job: from the end of its logs and from its test reports (each read with the format
 * the jobs file named for it), with paths made relative to the repository (only files in the run's snapshot count).
 */
export function jobDiagnostics(
  layout: StateLayout,
  runId: string,
  node: ExecuteNode,
  snapshotDir: string,
  repositoryRoot: string,
): Diagnostic[] {
  const jobDir = layout.nodeDir(runId, node);
  const relativize = relativizer(
    ['/workspace', join(jobDir, 'workspace'), snapshotDir, repositoryRoot],
    (path) => existsSync(join(snapshotDir, path)),
    node.workingDirectory,
  );
  const found: Diagnostic[] = [];
  for (const log of ['guest.log', 'host.log']) {
    const { text } = readTail(join(jobDir, log), DIAGNOSTIC_SCAN_BYTES);
    if (text !== '') found.push(...parseDiagnostics(node.job, text, relativize));
  }
  const reports = join(jobDir, 'reports');
  for (const file of filesUnder(reports)) {
    for (const format of formatsOf(node, relative(reports, file))) {
      if (statSync(file).size > format.maxBytes) continue;
      try {
        found.push(...testFailureDiagnostics(node.job, format.parse(readFileSync(file, 'utf8')), relativize));
      } catch {
        // Not a report of that format after all: nothing to annotate from it.
      }
    }
  }
  return dedupe(found);
}

/** The formats whose globs (in the job's `reports`) match a collected report file. */
function formatsOf(node: ExecuteNode, path: string) {
  return Object.entries(node.reports).flatMap(([name, globs]) => {
    const format = reportFormat(name);
    const matches = globs.some((glob) => picomatch(glob.replace(/\/+$/, ''), { dot: true })(path));
    const inFolder = globs.some((glob) => path.startsWith(`${glob.replace(/\/+$/, '')}/`));
    return format !== undefined && (matches || inFolder) ? [format] : [];
  });
}

function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort((a, b) => compareText(relative(folder, a), relative(folder, b)));
}
