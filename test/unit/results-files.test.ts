import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import type { TestSummary } from '../../src/parsers/test-summary.js';
import { buildPlan } from '../../src/plan/build.js';
import { executorsUsing } from '../../src/plan/image-users.js';
import type { RunRecord } from '../../src/records/schema.js';
import type { Annotation } from '../../src/report/annotations.js';
import type { JobReport } from '../../src/report/model.js';
import { buildResults } from '../../src/results/build.js';
import { readDurations } from '../../src/results/durations.js';
import { readResults, writeResults } from '../../src/results/io.js';
import { jsonSchemaFor } from '../../src/schema-export.js';
import { context, jobs } from '../support/jobs.js';

const root = mkdtempSync(join(tmpdir(), 'vmplan-results-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const RUN: RunRecord = {
  schemaVersion: 1,
  runId: '20261203T100000Z-00000001',
  planId: 'p'.repeat(64),
  planPath: 'plan.json',
  source: {
    repository: 'acme/app',
    commit: null,
    ref: null,
    event: null,
    jobsFile: '.github/vmplan.yml',
    jobsFileSha256: 'b'.repeat(64),
  },
  selection: null,
  changes: { known: false, reason: 'test' },
  rerunOf: null,
  snapshotRun: '20261203T100000Z-00000001',
  options: { maxParallel: null, failFast: true, executor: null },
  status: 'failed',
  host: { hostname: 'mac', pid: 1, platform: 'darwin', arch: 'arm64' },
  startedAt: '2026-12-03T10:00:00.000Z',
  finishedAt: '2026-12-03T10:01:00.000Z',
  durationMs: 60_000,
  message: null,
  counts: { failed: 1, passed: 1 },
};

const job = (name: string, overrides: Partial<JobReport> = {}): JobReport => ({
  job: name,
  description: `${name} on qemu`,
  executor: 'qemu',
  status: 'passed',
  durationMs: 1200,
  exitCode: 0,
  message: null,
  logTail: 'ok\n',
  logTruncated: false,
  tests: null,
  attempts: [],
  flaky: false,
  earlier: null,
  ...overrides,
});

const ANNOTATIONS: Annotation[] = [
  {
    level: 'error',
    title: 'test failed',
    message: 'boom',
    file: 'src/a.ts',
    line: 3,
    job: 'unit',
    kind: 'diagnostic',
  },
  { level: 'error', title: 'unit failed', message: 'exit 1', job: 'unit', kind: 'job' },
  { level: 'warning', title: 'lint', message: 'w', job: 'lint', kind: 'diagnostic' },
];

const TESTS: TestSummary = {
  reports: 1,
  total: 3,
  passed: 1,
  failed: 1,
  skipped: 1,
  durationMs: 40,
  failures: [
    {
      test: 'calc › adds',
      suite: 'calc',
      status: 'failed',
      message: 'expected 3',
      details: null,
      file: 'src/a.ts',
      line: 3,
      durationMs: 2,
    },
  ],
  slowest: [{ test: 'calc › adds', suite: 'calc', durationMs: 2 }],
  problems: [],
  flaky: [],
};

describe('buildResults', () => {
  it("records every job with its status, log tail and own annotations, under the run's status", () => {
    const results = buildResults(
      'a'.repeat(64),
      { index: 2, count: 3 },
      RUN,
      [
        job('lint'),
        job('unit', {
          status: 'failed',
          exitCode: 1,
          message: 'exited with code 1',
          tests: TESTS,
          startedAt: '2026-11-29T10:00:01.000Z',
          phases: [{ phase: 'command', startMs: 5, ms: 1100 }],
        }),
      ],
      ANNOTATIONS,
    );
    expect(results).toEqual({
      schemaVersion: 1,
      planId: 'a'.repeat(64),
      shard: { index: 2, count: 3 },
      runId: RUN.runId,
      status: 'failed',
      startedAt: RUN.startedAt,
      finishedAt: RUN.finishedAt,
      jobs: {
        lint: {
          status: 'passed',
          description: 'lint on qemu',
          executor: 'qemu',
          durationMs: 1200,
          exitCode: 0,
          message: null,
          logTail: 'ok\n',
          logTruncated: false,
          annotations: [ANNOTATIONS[2]],
          tests: null,
          attempts: [],
          flaky: false,
          earlier: null,
          startedAt: null,
          phases: [],
        },
        unit: {
          status: 'failed',
          description: 'unit on qemu',
          executor: 'qemu',
          durationMs: 1200,
          exitCode: 1,
          message: 'exited with code 1',
          logTail: 'ok\n',
          logTruncated: false,
          annotations: [ANNOTATIONS[0], ANNOTATIONS[1]],
          tests: TESTS,
          attempts: [],
          flaky: false,
          earlier: null,
          startedAt: '2026-11-29T10:00:01.000Z',
          phases: [{ phase: 'command', startMs: 5, ms: 1100 }],
        },
      },
    });
  });

  it('never records a run as running: one read before it ended counts as failed', () => {
    expect(buildResults('a'.repeat(64), null, { ...RUN, status: 'running' }, [], []).status).toBe('failed');
    expect(buildResults('a'.repeat(64), null, { ...RUN, status: 'cancelled' }, [], []).status).toBe(
      'cancelled',
    );
  });

  it('keeps the last 16 KiB of a long log, from a line start, and says it was cut', () => {
    const lines = Array.from({ length: 2000 }, (_, index) => `line ${String(index).padStart(4, '0')} ✓`);
    const log = `${lines.join('\n')}\n`;
    const tail = buildResults('a'.repeat(64), null, RUN, [job('unit', { logTail: log })], []).jobs.unit!;
    expect(tail.logTruncated).toBe(true);
    expect(Buffer.byteLength(tail.logTail)).toBeLessThanOrEqual(16 * 1024);
    expect(Buffer.byteLength(tail.logTail)).toBeGreaterThan(16 * 1024 - 40);
    expect(tail.logTail).toMatch(/^line \d{4} ✓\n/);
    expect(log.endsWith(tail.logTail)).toBe(true);
    // Exactly the limit is kept whole; a log the report already cut stays marked as cut.
    const exact = 'x'.repeat(16 * 1024);
    expect(
      buildResults('a'.repeat(64), null, RUN, [job('unit', { logTail: exact })], []).jobs.unit,
    ).toMatchObject({
      logTail: exact,
      logTruncated: false,
    });
    expect(
      buildResults('a'.repeat(64), null, RUN, [job('unit', { logTruncated: true })], []).jobs.unit!
        .logTruncated,
    ).toBe(true);
  });
});

describe('results.json files', () => {
  const results = buildResults('a'.repeat(64), null, RUN, [job('unit', { tests: TESTS })], []);

  it('round-trips through a validated, atomic write, test results included', () => {
    const path = join(root, 'results.json');
    writeResults(path, results);
    expect(readResults(path)).toEqual(results);
    expect(readResults(path).jobs.unit!.tests!.failures[0]!.file).toBe('src/a.ts');
  });

  it('reads results written before jobs had test results (no tests key) as having none', () => {
    const path = join(root, 'old-results.json');
    const { tests: _tests, ...old } = results.jobs.unit!;
    writeFileSync(path, JSON.stringify({ ...results, jobs: { unit: old } }));
    expect(readResults(path).jobs.unit!.tests).toBeNull();
  });

  it('reads results written before retries, reruns and phases as a single attempt that was never flaky', () => {
    const path = join(root, 'older-results.json');
    const {
      attempts: _attempts,
      flaky: _flaky,
      earlier: _earlier,
      startedAt: _startedAt,
      phases: _phases,
      ...old
    } = results.jobs.unit!;
    writeFileSync(path, JSON.stringify({ ...results, jobs: { unit: old } }));
    expect(readResults(path).jobs.unit).toMatchObject({
      attempts: [],
      flaky: false,
      earlier: null,
      startedAt: null,
      phases: [],
    });
  });

  it('refuses a planId that is not exactly a plan digest (a forged results.json cannot name another plan)', () => {
    const path = join(root, 'forged-plan-id.json');
    for (const planId of [`x${'a'.repeat(64)}`, `${'a'.repeat(64)}x`, 'A'.repeat(64)]) {
      writeFileSync(path, JSON.stringify({ ...results, planId }));
      expect(() => readResults(path, 'r.json')).toThrow(/^r\.json: not a valid results\.json: planId: /);
    }
  });

  it('refuses test results whose counts are not counts', () => {
    const path = join(root, 'bad-tests.json');
    writeFileSync(
      path,
      JSON.stringify({
        ...results,
        jobs: { unit: { ...results.jobs.unit, tests: { ...TESTS, failed: -1 } } },
      }),
    );
    expect(() => readResults(path, 'r.json')).toThrow(
      /^r\.json: not a valid results\.json: jobs\.unit\.tests\.failed: /,
    );
  });

  it('is described by the published schema/results.schema.json, which refuses what the reader refuses', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const validate = ajv.compile(jsonSchemaFor('results'));
    const path = join(root, 'published.json');
    writeResults(path, results);
    const written = JSON.parse(readFileSync(path, 'utf8'));
    expect(validate(written), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...written, status: 'running' })).toBe(false);
    expect(validate({ ...written, planId: 'short' })).toBe(false);
    expect(validate({ ...written, jobs: { Unit: written.jobs.unit } })).toBe(false);
  });

  it('refuses to write or read one that is not valid, naming the file and field', () => {
    expect(() => writeResults(join(root, 'never.json'), { ...results, planId: 'short' })).toThrow();
    const path = join(root, 'bad-results.json');
    writeFileSync(path, JSON.stringify({ ...results, status: 'running' }));
    expect(() => readResults(path, 'shard-2/results.json')).toThrow(
      /^shard-2\/results\.json: not a valid results\.json: status: /,
    );
  });
});

describe('readDurations', () => {
  it('reads passed jobs’ durations from a results.json, or a plain map', () => {
    const fromResults = join(root, 'durations-results.json');
    writeFileSync(
      fromResults,
      JSON.stringify(
        buildResults(
          'a'.repeat(64),
          null,
          RUN,
          [job('unit', { durationMs: 900 }), job('lint', { status: 'failed' })],
          [],
        ),
      ),
    );
    expect(readDurations(fromResults)).toEqual({ unit: 900 });
    const map = join(root, 'durations-map.json');
    writeFileSync(map, '{"unit": 1500, "lint": 0}');
    expect(readDurations(map)).toEqual({ unit: 1500, lint: 0 });
  });

  it('names what a durations file should be', () => {
    const path = join(root, 'durations-bad.json');
    writeFileSync(path, '{"unit": -1}');
    const refusal = () => readDurations(path, 'durations.json');
    expect(refusal).toThrow(InputError);
    expect(refusal).toThrow(/^durations\.json: not a valid map of job id to milliseconds: unit: /);
    writeFileSync(path, '{"schemaVersion": 1, "jobs": 3}');
    expect(refusal).toThrow(/^durations\.json: not a valid results\.json: /);
    writeFileSync(path, 'null');
    expect(refusal).toThrow(/^durations\.json: not a valid map of job id to milliseconds: \(top\)/);
    writeFileSync(path, '{"unit": 15');
    expect(refusal).toThrow(/^durations\.json: not a durations file: invalid JSON /);
  });
});

describe('executorsUsing', () => {
  it('lists the distinct executors of the jobs booting an image, sorted', () => {
    const plan = buildPlan(
      jobs(`version: 1
images:
  g: { arch: arm64, kernel: /k, initrd: /i }
  h: { arch: arm64, kernel: /k2, initrd: /i2 }
jobs:
  a: { image: g, executor: vfkit, run: "true" }
  b: { image: g, executor: qemu, run: "true" }
  c: { image: g, executor: qemu, run: "true" }
  d: { image: h, executor: qemu, run: "true" }
`),
      context(),
    );
    const node = (id: string) => {
      const found = plan.nodes.find((candidate) => candidate.id === id);
      if (found?.kind !== 'prepare') throw new Error(`no prepare node ${id}`);
      return found;
    };
    expect(executorsUsing(plan, node('image:g'))).toEqual(['qemu', 'vfkit']);
    expect(executorsUsing(plan, node('image:h'))).toEqual(['qemu']);
    expect(executorsUsing(plan, { ...node('image:h'), usedBy: ['job:gone'] })).toEqual([]);
  });
});
