// The CLI's final table and the durations every report prints: exact text at each unit's boundary.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import {
  formatDuration,
  jobCounts,
  renderPhaseTables,
  renderRunTable,
  textTable,
} from '../../src/records/render.js';
import {
  type Attempt,
  type NodeRecord,
  NodeStatusSchema,
  type RunRecord,
  TERMINAL_NODE_STATUSES,
} from '../../src/records/schema.js';
import { nodeLabel, STATUS_ICON, STATUS_SYMBOL } from '../../src/records/status-words.js';
import { context, finishedRun, jobs } from '../support/jobs.js';

describe('formatDuration', () => {
  it('switches unit exactly at a second, a minute and an hour', () => {
    expect(
      [
        0, 999, 1000, 1049, 59_949, 59_999, 60_000, 61_499, 61_500, 3_599_499, 3_599_500, 3_725_000,
        36_000_000,
      ].map(formatDuration),
    ).toEqual([
      '0 ms',
      '999 ms',
      '1.0 s',
      '1.0 s',
      '59.9 s',
      '60.0 s',
      '1m 00s',
      '1m 01s',
      '1m 02s',
      '59m 59s',
      '1h 00m',
      '1h 02m',
      '10h 00m',
    ]);
  });
});

describe('textTable', () => {
  it('pads every column but the last to its widest cell, two spaces apart, no trailing blanks', () => {
    expect(
      textTable(
        ['A', 'LONGER', 'LAST'],
        [
          ['wide cell', 'x', 'end'],
          ['b', '', ''],
        ],
      ),
    ).toBe('A          LONGER  LAST\nwide cell  x       end\nb');
  });
});

describe('renderRunTable', () => {
  const plan = buildPlan(
    jobs(`version: 1
images:
  guest: { arch: arm64, kernel: k, initrd: i }
jobs:
  build: { run: make, executor: host }
  unit: { run: make test, image: guest, executor: qemu, needs: build }
`),
    context(),
  );
  const record = (overrides: Partial<NodeRecord>): NodeRecord => ({
    schemaVersion: 1,
    nodeId: 'job:build',
    kind: 'execute',
    job: 'build',
    executor: 'host',
    status: 'passed',
    startedAt: '2026-12-03T10:00:00.000Z',
    finishedAt: '2026-12-03T10:00:01.000Z',
    durationMs: 1250,
    exitCode: 0,
    message: 'a message a passed node does not show',
    logs: { host: 'jobs/build/host.log', guest: null },
    ...overrides,
  });
  /** A node still running: no end, no duration, no exit, no message yet. */
  const running = (overrides: Partial<NodeRecord>): NodeRecord =>
    record({
      status: 'running',
      finishedAt: null,
      durationMs: null,
      exitCode: null,
      message: null,
      ...overrides,
    });
  const run = (overrides: Partial<RunRecord>): RunRecord =>
    finishedRun(plan, { counts: { passed: 2, timed_out: 1 }, ...overrides });

  it('one row per node: images by name and whether cached, durations, exits, messages of nodes that did not pass', () => {
    const nodes = [
      record({
        nodeId: 'image:guest',
        kind: 'prepare',
        job: null,
        executor: 'qemu',
        cached: true,
        exitCode: null,
        durationMs: 40,
      }),
      record({}),
      record({
        nodeId: 'job:unit',
        job: 'unit',
        executor: 'qemu',
        status: 'timed_out',
        durationMs: null,
        exitCode: null,
        message: 'timed out after 10m',
      }),
    ];
    expect(renderRunTable(run({}), nodes, plan)).toBe(
      [
        'NODE         STATUS           DURATION  EXIT  EXECUTOR  MESSAGE',
        'image guest  passed (cached)  40 ms     -     qemu',
        'build        passed           1.3 s     0     host',
        'unit         timed_out        -         -     qemu      timed out after 10m',
        '',
        'Run 20261203T100000Z-0000abcd: failed (2 passed, 1 timed out) in 1m 05s — "unit" failed',
      ].join('\n'),
    );
  });

  it('a prepared image that was not cached, a node the plan does not know, a finished run without counts', () => {
    const nodes = [
      record({ nodeId: 'image:guest', kind: 'prepare', job: null, executor: 'qemu', cached: false }),
      record({ nodeId: 'job:gone', job: null, status: 'failed', exitCode: 3, message: null }),
    ];
    expect(renderRunTable(run({ status: 'cancelled', message: null, counts: {} }), nodes, plan)).toBe(
      [
        'NODE         STATUS  DURATION  EXIT  EXECUTOR  MESSAGE',
        'image guest  passed  1.3 s     0     qemu',
        'job:gone     failed  1.3 s     3     host',
        '',
        'Run 20261203T100000Z-0000abcd: cancelled (no jobs) in 1m 05s',
      ].join('\n'),
    );
  });

  it('a run still running: its jobs so far, how long each has run, and how long the run has', () => {
    const nodes = [
      record({}),
      running({
        nodeId: 'job:unit',
        job: 'unit',
        executor: 'qemu',
        startedAt: '2026-12-03T10:00:02.000Z',
      }),
      record({
        nodeId: 'job:docs',
        job: 'docs',
        status: 'pending',
        startedAt: null,
        finishedAt: null,
        durationMs: null,
        exitCode: null,
        message: null,
      }),
    ];
    const now = new Date('2026-12-03T10:00:12.000Z');
    expect(
      renderRunTable(
        run({ status: 'running', durationMs: null, message: null, counts: {} }),
        nodes,
        plan,
        now,
      ),
    ).toBe(
      [
        'NODE   STATUS   DURATION       EXIT  EXECUTOR  MESSAGE',
        'build  passed   1.3 s          0     host',
        'unit   running  10.0 s so far  -     qemu',
        'docs   pending  -              -     host',
        '',
        'Run 20261203T100000Z-0000abcd: running for 12.0 s (1 passed, 1 running, 1 pending)',
      ].join('\n'),
    );
  });

  it('while a run runs, an image being prepared is no job, and a job retrying after one failure reads as running', () => {
    const nodes = [
      running({
        nodeId: 'image:guest',
        kind: 'prepare',
        job: null,
        executor: 'qemu',
      }),
      // Its first attempt failed; the second runs (the engine records the attempts so far).
      running({
        startedAt: '2026-12-03T10:00:11.500Z',
        attempts: [attempt(1, 'failed')],
      }),
    ];
    expect(
      renderRunTable(
        run({ status: 'running', durationMs: null, finishedAt: null, message: null, counts: {} }),
        nodes,
        plan,
        new Date('2026-12-03T10:00:12.000Z'),
      ),
    ).toBe(
      [
        'NODE         STATUS   DURATION       EXIT  EXECUTOR  MESSAGE',
        'image guest  running  12.0 s so far  -     qemu',
        'build        running  500 ms so far  -     host',
        '',
        'Run 20261203T100000Z-0000abcd: running for 12.0 s (1 running)',
      ].join('\n'),
    );
  });

  it('a clock that went back (startedAt after now) reads as nothing so far, never a negative time', () => {
    const nodes = [
      running({
        startedAt: '2026-12-03T10:00:30.000Z',
      }),
    ];
    const table = renderRunTable(
      run({ status: 'running', durationMs: null, finishedAt: null, message: null, counts: {} }),
      nodes,
      plan,
      new Date('2026-12-03T09:59:00.000Z'),
    );
    expect(table.split('\n').slice(1)).toEqual([
      'build  running  0 ms so far  -     host',
      '',
      'Run 20261203T100000Z-0000abcd: running for 0 ms (1 running)',
    ]);
  });
});

describe('jobCounts', () => {
  const plan = buildPlan(
    jobs('version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: x }\n'),
    context(),
  );
  const node = (job: string, status: NodeRecord['status']): NodeRecord => ({
    schemaVersion: 1,
    nodeId: `job:${job}`,
    kind: 'execute',
    job,
    executor: 'host',
    status,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    exitCode: null,
    message: null,
    logs: { host: `jobs/${job}/host.log`, guest: null },
  });

  it('reads outcomes first (passed, failed, timed out, cancelled, skipped), then what is still to come', () => {
    // Whatever order the record or the jobs list them in.
    const finished = finishedRun(plan, {
      counts: { skipped: 5, cancelled: 4, timed_out: 3, failed: 2, passed: 1 },
    });
    expect(jobCounts(finished, [])).toBe('1 passed, 2 failed, 3 timed out, 4 cancelled, 5 skipped');
    const running = finishedRun(plan, { status: 'running', durationMs: null, finishedAt: null, counts: {} });
    const nodes = [
      node('a', 'pending'),
      node('b', 'running'),
      node('c', 'skipped'),
      node('d', 'cancelled'),
      node('e', 'pending'),
      node('f', 'failed'),
    ];
    expect(jobCounts(running, nodes)).toBe('1 failed, 1 cancelled, 1 skipped, 1 running, 2 pending');
  });
});

const attempt = (number: number, status: Attempt['status'], overrides: Partial<Attempt> = {}): Attempt => ({
  attempt: number,
  status,
  cause: status === 'passed' ? null : status === 'timed_out' ? 'timeout' : 'failure',
  startedAt: '2026-12-03T10:00:00.000Z',
  finishedAt: '2026-12-03T10:00:11.000Z',
  durationMs: 11_000,
  exitCode: status === 'passed' ? 0 : 1,
  message: status === 'passed' ? null : 'exited with code 1',
  folder: `jobs/build/attempts/${number}`,
  ...overrides,
});

describe('renderPhaseTables (status --timings)', () => {
  const record = (overrides: Partial<NodeRecord>): NodeRecord => ({
    schemaVersion: 1,
    nodeId: 'job:build',
    kind: 'execute',
    job: 'build',
    executor: 'qemu',
    status: 'passed',
    startedAt: '2026-12-03T10:00:00.000Z',
    finishedAt: '2026-12-03T10:00:20.000Z',
    durationMs: 20_000,
    exitCode: 0,
    message: null,
    logs: { host: 'jobs/build/host.log', guest: 'jobs/build/guest.log' },
    ...overrides,
  });

  it('times under a second in ms, under ten seconds to the hundredth, longer as durations read elsewhere', () => {
    const text = renderPhaseTables([
      record({
        phases: [
          { phase: 'prepare', startMs: 0, ms: 999 },
          { phase: 'boot', startMs: 999, ms: 1000 },
          { phase: 'setup', startMs: 1999, ms: 9_990 },
          { phase: 'command', startMs: 11_989, ms: 10_000 },
        ],
      }),
    ]);
    expect(text.split('\n')).toEqual([
      'build (qemu, passed in 20.0 s)',
      '  phase    start   duration  share',
      '  prepare  0 ms    999 ms    5%',
      '  boot     999 ms  1.00 s    5%',
      '  setup    2.00 s  9.99 s    45%',
      '  command  12.0 s  10.0 s    45%',
    ]);
  });

  it('a job still running has no total yet; a retried one says its attempt; statuses read as words', () => {
    const text = renderPhaseTables([
      record({
        status: 'running',
        finishedAt: null,
        durationMs: null,
        exitCode: null,
        // Its first attempt failed: the phases are the running attempt's so far.
        attempts: [attempt(1, 'failed')],
        phases: [{ phase: 'prepare', startMs: 0, ms: 40 }],
      }),
      record({
        nodeId: 'job:e2e',
        job: 'e2e',
        status: 'timed_out',
        attempts: [attempt(1, 'timed_out'), attempt(2, 'failed'), attempt(3, 'timed_out')],
        phases: [{ phase: 'command', startMs: 0, ms: 20_000 }],
      }),
    ]);
    expect(text.split('\n')).toEqual([
      'build (qemu, running)',
      '  phase    start  duration  share',
      '  prepare  0 ms   40 ms     100%',
      '',
      'e2e (qemu, timed out in 20.0 s, last of 3 attempts)',
      '  phase    start  duration  share',
      '  command  0 ms   20.0 s    100%',
    ]);
  });

  it('phases that took no time share nothing (no division by zero); images have no table', () => {
    const text = renderPhaseTables([
      record({
        nodeId: 'image:guest',
        kind: 'prepare',
        job: null,
        phases: [{ phase: 'prepare', startMs: 0, ms: 5 }],
      }),
      record({ durationMs: 0, phases: [{ phase: 'prepare', startMs: 0, ms: 0 }] }),
    ]);
    expect(text.split('\n')).toEqual([
      'build (qemu, passed in 0 ms)',
      '  phase    start  duration  share',
      '  prepare  0 ms   0 ms      0%',
    ]);
  });
});

describe('status words', () => {
  it('every status a node ends in has its own icon (Markdown) and one-column symbol (terminals); not-yet-done ones share', () => {
    for (const marks of [STATUS_ICON, STATUS_SYMBOL]) {
      const ended = TERMINAL_NODE_STATUSES.map((status) => marks[status]);
      expect(ended.every((mark) => mark.trim() !== '')).toBe(true);
      expect(new Set(ended).size).toBe(TERMINAL_NODE_STATUSES.length);
      expect(marks.pending).toBe(marks.running);
      expect(marks.pending.trim()).not.toBe('');
      expect(ended).not.toContain(marks.pending);
    }
    for (const status of NodeStatusSchema.options) expect([...STATUS_SYMBOL[status]]).toHaveLength(1);
  });

  it('progress lines name a job by its name and an image as "image <name>"', () => {
    const plan = buildPlan(
      jobs(`version: 1
images:
  guest: { arch: arm64, kernel: k, initrd: i }
jobs:
  unit: { run: make test, image: guest, executor: qemu }
`),
      context(),
    );
    expect(plan.nodes.map(nodeLabel)).toEqual(['image guest', 'unit']);
  });
});
