// The CLI's final table and the durations every report prints: exact text at each unit's boundary.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import { formatDuration, renderRunTable, textTable } from '../../src/records/render.js';
import type { NodeRecord, RunRecord } from '../../src/records/schema.js';
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
      record({
        nodeId: 'job:unit',
        job: 'unit',
        executor: 'qemu',
        status: 'running',
        startedAt: '2026-12-03T10:00:02.000Z',
        finishedAt: null,
        durationMs: null,
        exitCode: null,
        message: null,
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
});
