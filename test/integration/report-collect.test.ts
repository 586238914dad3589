import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import type { ExecuteNode } from '../../src/plan/schema.js';
import { StateLayout } from '../../src/records/layout.js';
import { type EarlierResult, type NodeRecord, RECORD_SCHEMA_VERSION } from '../../src/records/schema.js';
import { jobAnnotations } from '../../src/report/annotations.js';
import { checkRunOutput } from '../../src/report/check-runs.js';
import {
  jobDiagnostics,
  jobReport,
  jobTests,
  LOG_TAIL_BYTES,
  readJobTestReports,
  readTail,
} from '../../src/report/collect.js';
import { buildSummary } from '../../src/report/summary.js';
import { descriptorsOn } from '../support/fds.js';
import { context, finishedRun, jobs } from '../support/jobs.js';

// What the reports read from a job's folder: real files in a real state folder, read back the way a run does.

let root: string;
let layout: StateLayout;
const RUN = '20261204T110000Z-1a2b3c4d';

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'vmplan-collect-'));
  layout = new StateLayout(join(root, 'state'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function nodeOf(jobsYaml: string, job = 'unit'): ExecuteNode {
  const plan = buildPlan(jobs(jobsYaml), context({ defaultExecutor: 'host' }));
  const node = plan.nodes.find((one) => one.kind === 'execute' && one.job === job);
  if (node?.kind !== 'execute') throw new Error(`no job ${job}`);
  return node;
}

const UNIT = nodeOf(
  'version: 1\njobs:\n  unit:\n    run: make test\n    reports:\n      junit: [out/junit.xml]\n',
);

function write(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function jobFile(node: ExecuteNode, path: string, text: string): string {
  return write(join(layout.nodeDir(RUN, node), path), text);
}

function record(overrides: Partial<NodeRecord> = {}): NodeRecord {
  return {
    schemaVersion: RECORD_SCHEMA_VERSION,
    nodeId: UNIT.id,
    kind: 'execute',
    job: 'unit',
    executor: 'host',
    status: 'passed',
    startedAt: '2026-12-04T11:00:00.000Z',
    finishedAt: '2026-12-04T11:00:01.000Z',
    durationMs: 1000,
    exitCode: 0,
    message: null,
    logs: { host: 'jobs/unit/host.log', guest: null },
    ...overrides,
  };
}

/** A JUnit file with one suite and the given cases (name → passed or failed). */
function junit(cases: Record<string, 'passed' | 'failed'>, suite = 'math'): string {
  const body = Object.entries(cases)
    .map(([name, status]) =>
      status === 'passed'
        ? `<testcase classname="${suite}" name="${name}" time="0.1"/>`
        : `<testcase classname="${suite}" name="${name}" time="0.1"><failure message="boom">boom</failure></testcase>`,
    )
    .join('');
  return `<?xml version="1.0"?><testsuites><testsuite name="${suite}" tests="${Object.keys(cases).length}">${body}</testsuite></testsuites>`;
}

describe('readTail', () => {
  it('is the whole file when it fits, untruncated, and nothing for a missing file', () => {
    const path = write(join(root, 'log'), 'first\nsecond\n');
    expect(readTail(path, 13)).toEqual({ text: 'first\nsecond\n', truncated: false });
    expect(readTail(path, 1000)).toEqual({ text: 'first\nsecond\n', truncated: false });
    expect(readTail(join(root, 'missing'), 10)).toEqual({ text: '', truncated: false });
  });

  it('is the last bytes from the first whole line, truncated, for a longer file', () => {
    const path = write(join(root, 'log'), 'first\nsecond\nthird\n');
    expect(readTail(path, 10)).toEqual({ text: 'third\n', truncated: true });
    expect(readTail(path, 13)).toEqual({ text: 'third\n', truncated: true });
  });

  it('closes every file it opens', () => {
    const path = write(join(root, 'log'), 'line\n'.repeat(100));
    const open = () => descriptorsOn(path);
    const before = open();
    expect(before).toBe(0);
    for (let i = 0; i < 50; i++) readTail(path, 64);
    expect(open()).toBe(before);
  });
});

describe("a job's report", () => {
  it("quotes the guest's output when it has any, else the host log, and says when it cut it", () => {
    jobFile(UNIT, 'host.log', 'from the host\n');
    expect(jobReport(layout, RUN, UNIT, record()).logTail).toBe('from the host\n');
    jobFile(UNIT, 'guest.log', '');
    expect(jobReport(layout, RUN, UNIT, record()).logTail).toBe('from the host\n');
    jobFile(UNIT, 'guest.log', 'from the guest\n');
    const report = jobReport(layout, RUN, UNIT, record());
    expect([report.logTail, report.logTruncated]).toEqual(['from the guest\n', false]);
    jobFile(UNIT, 'guest.log', `${'x'.repeat(LOG_TAIL_BYTES)}\nlast line\n`);
    const long = jobReport(layout, RUN, UNIT, record());
    expect([long.logTail, long.logTruncated]).toEqual(['last line\n', true]);
  });

  it('quotes the last 64 KiB of a longer log, from its first whole line', () => {
    // 2000 lines of 100 bytes: the last 65,536 bytes start inside a line; the tail starts at the next one.
    const lines = Array.from({ length: 2000 }, (_, i) => `${String(i).padStart(4, '0')} ${'y'.repeat(94)}\n`);
    jobFile(UNIT, 'host.log', lines.join(''));
    const report = jobReport(layout, RUN, UNIT, record());
    expect(report.logTruncated).toBe(true);
    expect(report.logTail.length).toBe(65_500);
    expect(report.logTail.startsWith('1345 yyy')).toBe(true);
  });

  it('shows the host log for a VM job that failed before its guest printed anything, in the check run, annotation and summary', () => {
    const yaml =
      'version: 1\nimages:\n  g: { arch: arm64, kernel: k, initrd: i }\njobs:\n  unit: { run: make test, image: g, executor: qemu }\n';
    const vm = nodeOf(yaml);
    const why = 'qemu-system-aarch64: -kernel /i/Image: could not open kernel file';
    jobFile(vm, 'host.log', `vmplan: starting qemu\n${why}\n`);
    // The guest's log exists (it is opened when the job starts) and holds nothing.
    jobFile(vm, 'guest.log', '');
    const failed = record({
      executor: 'qemu',
      status: 'failed',
      exitCode: null,
      message: 'qemu exited with code 1',
      logs: { host: 'jobs/unit/host.log', guest: 'jobs/unit/guest.log' },
    });
    const report = jobReport(layout, RUN, vm, failed);
    expect(report.logTail).toBe(`vmplan: starting qemu\n${why}\n`);
    expect(checkRunOutput(report, 1).text).toContain(why);
    expect(jobAnnotations([report], () => undefined)[0]!.message).toContain(why);
    const plan = buildPlan(jobs(yaml), context({ defaultExecutor: 'host' }));
    expect(buildSummary({ plan, run: finishedRun(plan), jobs: [report], links: {} })).toContain(why);
  });

  it('carries the record: status, times, attempts and phases (none when the record has none)', () => {
    const phases = [{ phase: 'command' as const, startMs: 0, ms: 900 }];
    const report = jobReport(
      layout,
      RUN,
      UNIT,
      record({ status: 'failed', exitCode: 2, message: 'exit 2', phases }),
    );
    expect(report).toMatchObject({
      job: 'unit',
      executor: 'host',
      status: 'failed',
      durationMs: 1000,
      exitCode: 2,
      message: 'exit 2',
      startedAt: '2026-12-04T11:00:00.000Z',
      phases,
      attempts: [],
      tests: null,
      earlier: null,
    });
    expect(jobReport(layout, RUN, UNIT, record()).phases).toEqual([]);
  });

  it('is flaky when it passed where the same code failed or timed out before, and only then', () => {
    const flaky = (status: NodeRecord['status'], earlier: EarlierResult | null) =>
      jobReport(layout, RUN, UNIT, record({ status }), null, earlier).flaky;
    const earlierRun = (status: EarlierResult['status'], sameCode = true): EarlierResult => ({
      run: '20261203-100000-abcd',
      status,
      sameCode,
    });
    expect(flaky('passed', earlierRun('failed'))).toBe(true);
    expect(flaky('passed', earlierRun('timed_out'))).toBe(true);
    expect(flaky('passed', earlierRun('passed'))).toBe(false);
    expect(flaky('passed', earlierRun('cancelled'))).toBe(false);
    expect(flaky('passed', earlierRun('failed', false))).toBe(false);
    expect(flaky('failed', earlierRun('failed'))).toBe(false);
    expect(flaky('timed_out', earlierRun('failed'))).toBe(false);
    expect(flaky('passed', null)).toBe(false);
  });
});

describe("reading a job's test reports", () => {
  it('reads the files its globs name, by file or by folder, in path order, and nothing else', () => {
    const node = nodeOf(
      'version: 1\njobs:\n  unit:\n    run: make test\n    reports:\n      junit: ["out/**/*.xml", "results//"]\n',
    );
    jobFile(node, 'reports/out/b.xml', junit({ second: 'passed' }));
    jobFile(node, 'reports/out/a/.hidden.xml', junit({ first: 'passed' }));
    jobFile(node, 'reports/results/deep/c.txt', junit({ third: 'failed' }));
    jobFile(node, 'reports/results.xml', junit({ never: 'passed' }));
    jobFile(node, 'reports/other/d.xml', junit({ never: 'passed' }));
    const { reports, problems } = readJobTestReports(layout, RUN, node);
    expect(problems).toEqual([]);
    expect(reports.map((report) => report.suites[0]!.cases[0]!.name)).toEqual(['first', 'second', 'third']);
  });

  it('reads a file once per format that names it, and says which files it could not read and why', () => {
    const node = nodeOf(
      'version: 1\njobs:\n  unit:\n    run: make test\n    reports:\n      junit: [out/*]\n      tap: [out/*]\n',
    );
    jobFile(node, 'reports/out/bad.xml', '<testsuites><testsuite name="x">\n<oops');
    jobFile(node, 'reports/out/ok.tap', 'TAP version 13\n1..1\nok 1 - fine\n');
    const { reports, problems } = readJobTestReports(layout, RUN, node);
    expect(reports).toHaveLength(1);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^out\/bad\.xml: \S/);
    expect(
      problems.every((problem) => !problem.includes('\n') && problem.length <= 'out/bad.xml: '.length + 300),
    ).toBe(true);
    expect(problems.filter((problem) => problem.startsWith('out/ok.tap: '))).toHaveLength(1);
  });

  it("quotes the first 300 characters of a parser's complaint", () => {
    jobFile(UNIT, 'reports/out/junit.xml', `<${'a'.repeat(400)}></${'b'.repeat(400)}>`);
    expect(readJobTestReports(layout, RUN, UNIT).problems).toEqual([
      `out/junit.xml: not JUnit XML: Expected closing tag '${'a'.repeat(300 - 37)}`,
    ]);
  });

  it('skips a file larger than its format reads, saying so', () => {
    const file = jobFile(UNIT, 'reports/out/junit.xml', junit({ fine: 'passed' }));
    truncateSync(file, 16 * 1024 * 1024 + 1);
    expect(readJobTestReports(layout, RUN, UNIT)).toEqual({
      reports: [],
      problems: ['out/junit.xml: larger than 16.8 MB, not read as junit'],
    });
  });
});

describe("a job's test summary", () => {
  it('is null for a job that names no reports, and says when none of its globs matched', () => {
    const plain = nodeOf('version: 1\njobs:\n  unit: { run: make }\n');
    expect(jobTests(layout, RUN, plain, root, root)).toBeNull();
    const none = jobTests(layout, RUN, UNIT, root, root);
    expect(none?.problems).toEqual(['no report file matched out/junit.xml']);
    expect(none?.total).toBe(0);
    const two = nodeOf(
      'version: 1\njobs:\n  unit:\n    run: make test\n    reports:\n      junit: [out/a.xml, out/b.xml]\n',
    );
    expect(jobTests(layout, RUN, two, root, root)?.problems).toEqual([
      'no report file matched out/a.xml, out/b.xml',
    ]);
  });

  it('says why when the reports cannot be read at all, and the run goes on', () => {
    jobFile(UNIT, 'reports', 'a file where the folder should be');
    const summary = jobTests(layout, RUN, UNIT, root, root);
    expect(summary?.problems).toHaveLength(1);
    expect(summary?.problems[0]).toMatch(/^the reports could not be read: ENOTDIR/);
  });

  it('finds tests that failed in an earlier attempt and passed now, reading attempts in number order', () => {
    jobFile(UNIT, 'attempts/2/reports/out/junit.xml', junit({ add: 'failed', sub: 'passed', mul: 'passed' }));
    jobFile(
      UNIT,
      'attempts/10/reports/out/junit.xml',
      junit({ add: 'passed', sub: 'failed', mul: 'passed' }),
    );
    // Not attempts: a leading zero, a name, a file.
    jobFile(UNIT, 'attempts/01/reports/out/junit.xml', junit({ mul: 'failed' }));
    jobFile(UNIT, 'attempts/x/reports/out/junit.xml', junit({ mul: 'failed' }));
    jobFile(UNIT, 'attempts/3', 'not a folder');
    jobFile(UNIT, 'reports/out/junit.xml', junit({ add: 'passed', sub: 'passed', mul: 'passed' }));
    const summary = jobTests(layout, RUN, UNIT, root, root);
    expect(summary?.flaky).toEqual([
      { suite: 'math', test: expect.stringContaining('add'), history: ['failed', 'passed', 'passed'] },
      { suite: 'math', test: expect.stringContaining('sub'), history: ['passed', 'failed', 'passed'] },
    ]);
    expect(summary?.passed).toBe(3);
  });

  it('names each flaky test once, whether the tool, an attempt or an earlier run showed it', () => {
    jobFile(UNIT, 'attempts/1/reports/out/junit.xml', junit({ add: 'failed', sub: 'failed' }));
    jobFile(UNIT, 'reports/out/junit.xml', junit({ add: 'passed', sub: 'passed', div: 'passed' }));
    const first = jobTests(layout, RUN, UNIT, root, root);
    const names = first?.flaky.map((entry) => entry.test) ?? [];
    expect(names).toHaveLength(2);
    const earlier = [...names, 'math div'].map((test) => ({ suite: 'math', test }));
    const again = jobTests(layout, RUN, UNIT, root, root, [
      ...earlier,
      ...(first?.flaky.map((entry) => ({ suite: entry.suite, test: entry.test })) ?? []),
    ]);
    const tests = again?.flaky.map((entry) => entry.test) ?? [];
    expect(new Set(tests).size).toBe(tests.length);
    expect(tests.slice(0, 2)).toEqual(names);
  });

  it('keeps at most 50 flaky tests', () => {
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`t${i}`, 'failed' as const]));
    const passed = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`t${i}`, 'passed' as const]));
    jobFile(UNIT, 'attempts/1/reports/out/junit.xml', junit(many));
    jobFile(UNIT, 'reports/out/junit.xml', junit(passed));
    const earlier = Object.keys(many).map((name) => ({ suite: 'math', test: name }));
    expect(jobTests(layout, RUN, UNIT, root, root, earlier)?.flaky).toHaveLength(50);
  });
});

describe("a job's diagnostics", () => {
  it('are looked for in the last 8 MiB of a log, however much the job printed', () => {
    const snapshot = join(root, 'snapshot');
    write(join(snapshot, 'src/early.c'), '\n');
    write(join(snapshot, 'src/late.c'), '\n');
    /** Exactly `bytes` bytes of lines of at most 100 bytes. */
    const filler = (bytes: number) =>
      `${'z'.repeat(99)}\n`.repeat(Math.floor(bytes / 100)) +
      (bytes % 100 === 0 ? '' : `${'z'.repeat((bytes % 100) - 1)}\n`);
    const late = '/workspace/src/late.c:2:1: error: in time\n';
    // The last 8 MiB start 50 bytes before the late line, in the middle of a line: that line is cut, the late
    // line is the first one searched; the early one, 1,000 bytes further back, is not searched.
    jobFile(
      UNIT,
      'host.log',
      `/workspace/src/early.c:1:1: error: too early\n${filler(1000)}${late}${filler(8 * 1024 * 1024 - 50 - late.length)}`,
    );
    const found = jobDiagnostics(layout, RUN, UNIT, snapshot, root, { reports: [] });
    expect(found.map((one) => `${one.path}:${one.line}`)).toEqual(['src/late.c:2']);
  });

  it("places the compiler's /workspace paths in the repository, from the guest and the host log", () => {
    const snapshot = join(root, 'snapshot');
    write(join(snapshot, 'src/main.c'), 'int main() {}\n');
    write(join(snapshot, 'src/util.c'), '\n');
    jobFile(UNIT, 'guest.log', "/workspace/src/main.c:3:5: error: expected ';' before '}' token\n");
    jobFile(UNIT, 'host.log', `${join(snapshot, 'src/util.c')}:1:1: warning: empty file\n`);
    const found = jobDiagnostics(layout, RUN, UNIT, snapshot, root, { reports: [] });
    expect(found.map((one) => [one.path, one.line, one.severity])).toEqual([
      ['src/main.c', 3, 'error'],
      ['src/util.c', 1, 'warning'],
    ]);
  });

  it('names an error printed in both the guest and the host log once: one annotation per place and message', () => {
    const snapshot = join(root, 'snapshot');
    write(join(snapshot, 'src/main.c'), 'int main() {}\n');
    const error = "/workspace/src/main.c:3:5: error: expected ';' before '}' token\n";
    jobFile(UNIT, 'guest.log', error);
    jobFile(UNIT, 'host.log', `starting the VM\n${error}the job failed\n`);
    const found = jobDiagnostics(layout, RUN, UNIT, snapshot, root, { reports: [] });
    expect(found.map((one) => [one.path, one.line, one.column, one.message])).toEqual([
      ['src/main.c', 3, 5, "expected ';' before '}' token"],
    ]);
  });
});
