import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import picomatch from 'picomatch';
import { dedupe, parseDiagnostics, relativizer } from '../parsers/diagnostics/parse.js';
import type { ReportFormat } from '../parsers/formats/format.js';
import { reportFormat } from '../parsers/formats/registry.js';
import type { Diagnostic, TestReport } from '../parsers/model.js';
import { testFailureDiagnostics } from '../parsers/test-diagnostics.js';
import {
  flakyTests,
  MAX_FAILED_TESTS,
  passedSince,
  summarizeTests,
  type TestSummary,
} from '../parsers/test-summary.js';
import { type ExecuteNode, reportGlobs } from '../plan/schema.js';
import type { StateLayout } from '../records/layout.js';
import { type EarlierResult, isFlaky, type NodeRecord } from '../records/schema.js';
import { formatBytes } from '../util/bytes.js';
import { compareText } from '../util/canonical-json.js';
import type { JobReport } from './model.js';
import { parseReportFile } from './parse-off-thread.js';
import { suffixFinder } from './repo-files.js';

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
  tests: TestSummary | null = null,
  earlier: EarlierResult | null = null,
): JobReport {
  const tail = readTail(mainLog(layout.nodeDir(runId, node)), LOG_TAIL_BYTES);
  return {
    job: node.job,
    ...(node.matrix === undefined ? {} : { name: node.matrix.name }),
    description: node.description,
    executor: node.executor,
    status: record.status,
    durationMs: record.durationMs,
    exitCode: record.exitCode,
    message: record.message,
    logTail: tail.text,
    logTruncated: tail.truncated,
    tests,
    attempts: record.attempts ?? [],
    flaky:
      isFlaky(record) ||
      (record.status === 'passed' &&
        earlier !== null &&
        earlier.sameCode &&
        ['failed', 'timed_out'].includes(earlier.status)),
    earlier,
    startedAt: record.startedAt,
    phases: record.phases ?? [],
  };
}

/** Turns the paths a job's tools printed into repository paths (only files in the run's snapshot count). */
function jobRelativizer(
  layout: StateLayout,
  runId: string,
  node: ExecuteNode,
  snapshotDir: string,
  repositoryRoot: string,
) {
  return relativizer(
    ['/workspace', ...layout.hostWorkspaceCandidates(runId, node.job), snapshotDir, repositoryRoot],
    (path) => existsSync(join(snapshotDir, path)),
    node.workingDirectory,
  );
}

/**
 * The test reports a job left (each read with every format whose globs name it, in path order), and a line for
 * each file that could not be read as its format or was too large.
 */
export function readJobTestReports(
  layout: StateLayout,
  runId: string,
  node: ExecuteNode,
): { reports: TestReport[]; problems: string[] } {
  return readTestReports(join(layout.nodeDir(runId, node), 'reports'), node);
}

/** Each report file in a folder with each format the job's globs read it as, or why it is not read (too large). */
function reportReads(
  folder: string,
  node: ExecuteNode,
): ({ file: string; path: string; format: ReportFormat } | { problem: string })[] {
  return filesUnder(folder).flatMap((file) => {
    const path = relative(folder, file);
    return formatsOf(node, path).map((format) =>
      statSync(file).size > format.maxBytes
        ? { problem: `${path}: larger than ${formatBytes(format.maxBytes)}, not read as ${format.name}` }
        : { file, path, format },
    );
  });
}

/** A parser's refusal of a report file, as one short line. */
const parseProblem = (path: string, error: unknown) =>
  `${path}: ${(error as Error).message.split('\n')[0]!.slice(0, 300)}`;

/** The test reports in one folder (a job's, or one of its earlier attempts'), read as the job's globs say. */
function readTestReports(folder: string, node: ExecuteNode): { reports: TestReport[]; problems: string[] } {
  const reports: TestReport[] = [];
  const problems: string[] = [];
  for (const read of reportReads(folder, node)) {
    if ('problem' in read) problems.push(read.problem);
    else
      try {
        reports.push(read.format.parse(readFileSync(read.file, 'utf8')));
      } catch (error) {
        problems.push(parseProblem(read.path, error));
      }
  }
  return { reports, problems };
}

/**
 * A job's test reports, as readJobTestReports reads them, and its earlier attempts' — each file parsed off the
 * event loop (parse-off-thread), so other jobs' timers fire on time while a huge report is read.
 */
export async function readJobTestReportsOffThread(
  layout: StateLayout,
  runId: string,
  node: ExecuteNode,
): Promise<{ reports: TestReport[]; problems: string[]; earlier: TestReport[][] }> {
  const jobDir = layout.nodeDir(runId, node);
  const own = await readTestReportsOffThread(join(jobDir, 'reports'), node);
  const earlier: TestReport[][] = [];
  for (const folder of earlierAttemptFolders(jobDir))
    earlier.push((await readTestReportsOffThread(join(folder, 'reports'), node)).reports);
  return { ...own, earlier };
}

async function readTestReportsOffThread(
  folder: string,
  node: ExecuteNode,
): Promise<{ reports: TestReport[]; problems: string[] }> {
  const reports: TestReport[] = [];
  const problems: string[] = [];
  for (const read of reportReads(folder, node)) {
    if ('problem' in read) problems.push(read.problem);
    else
      try {
        reports.push(await parseReportFile(read.format, read.file));
      } catch (error) {
        problems.push(parseProblem(read.path, error));
      }
  }
  return { reports, problems };
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
  read: { reports: TestReport[] } = readJobTestReports(layout, runId, node),
): Diagnostic[] {
  const jobDir = layout.nodeDir(runId, node);
  const relativize = jobRelativizer(layout, runId, node, snapshotDir, repositoryRoot);
  const findBySuffix = suffixFinder(snapshotDir);
  const found: Diagnostic[] = [];
  for (const log of ['guest.log', 'host.log']) {
    const { text } = readTail(join(jobDir, log), DIAGNOSTIC_SCAN_BYTES);
    if (text !== '') found.push(...parseDiagnostics(node.job, text, relativize));
  }
  for (const report of read.reports)
    found.push(...testFailureDiagnostics(node.job, report, relativize, findBySuffix));
  return dedupe(found);
}

/** A job's test summary from the reports it left; null when its jobs-file entry names no reports. */
export function jobTests(
  layout: StateLayout,
  runId: string,
  node: ExecuteNode,
  snapshotDir: string,
  repositoryRoot: string,
  earlierFailures: readonly { test: string; suite: string }[] = [],
  read?: { reports: TestReport[]; problems: string[]; earlier?: TestReport[][] },
): TestSummary | null {
  if (reportGlobs(node).length === 0) return null;
  const relativize = jobRelativizer(layout, runId, node, snapshotDir, repositoryRoot);
  try {
    const { reports, problems: found } = read ?? readJobTestReports(layout, runId, node);
    const problems = [...found];
    if (reports.length === 0 && problems.length === 0)
      problems.push(`no report file matched ${reportGlobs(node).join(', ')}`);
    const summary = summarizeTests(reports, relativize, problems, suffixFinder(snapshotDir));
    const earlier =
      read?.earlier ??
      earlierAttemptFolders(layout.nodeDir(runId, node)).map(
        (folder) => readTestReports(join(folder, 'reports'), node).reports,
      );
    // Flaky within the tool's own retries (summary.flaky), across the job's attempts, across runs: each once.
    const seen = new Set<string>();
    const flaky = [
      ...summary.flaky,
      ...(earlier.length === 0 ? [] : flakyTests([...earlier, reports])),
      ...passedSince(earlierFailures, reports),
    ].filter((entry) => {
      const key = `${entry.suite}\u0000${entry.test}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return flaky.length === summary.flaky.length
      ? summary
      : { ...summary, flaky: flaky.slice(0, MAX_FAILED_TESTS) };
  } catch (error) {
    // The folder is the job's: whatever it holds, the run goes on and says why there are no results.
    return summarizeTests([], relativize, [`the reports could not be read: ${(error as Error).message}`]);
  }
}

/** The folders of a job's earlier attempts (attempts/1, attempts/2, …), in order. */
function earlierAttemptFolders(nodeDir: string): string[] {
  const folder = join(nodeDir, 'attempts');
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^[1-9]\d*$/.test(entry.name))
    .map((entry) => Number(entry.name))
    .sort((a, b) => a - b)
    .map((number) => join(folder, String(number)));
}

/** The formats whose globs (in the job's `reports`) match a collected report file. */
function formatsOf(node: ExecuteNode, path: string) {
  return Object.entries(node.reports).flatMap(([name, given]) => {
    const globs = given ?? [];
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
