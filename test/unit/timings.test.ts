import { describe, expect, it } from 'vitest';
import { hostPhases, vmPhases } from '../../src/executors/phases.js';
import { GuestResultSchema } from '../../src/executors/vm/guest-result.js';
import { buildPlan } from '../../src/plan/build.js';
import { renderPhaseTables } from '../../src/records/render.js';
import { type NodeRecord, phasesFrom } from '../../src/records/schema.js';
import type { RunReport } from '../../src/report/model.js';
import { buildSummary } from '../../src/report/summary.js';
import { chartBars, ganttChart, tickStep, timelineBars, timelineHtml } from '../../src/report/timeline.js';
import { context, finishedRun, jobReport, jobs } from '../support/jobs.js';

const T = 1_764_000_000_000; // epoch milliseconds the examples start at

describe('vmPhases: a VM job on the host clock', () => {
  const times = { start: T, launch: T + 300, exit: T + 4_000, end: T + 4_250, commandSeen: T + 1_500 };
  const uptimes = { started: 60, command: 100, finished: 300, collected: 310 };

  it('ties the guest clock to the host by the command start both saw, and splits the VM into its phases', () => {
    // guest.log appeared at +1500 host, at 1.00 s of guest uptime: the kernel started at +500.
    expect(vmPhases(times, uptimes)).toEqual([
      { phase: 'prepare', start: T, end: T + 300 },
      { phase: 'hypervisor', start: T + 300, end: T + 500 },
      { phase: 'boot', start: T + 500, end: T + 1_100 },
      { phase: 'setup', start: T + 1_100, end: T + 1_500 },
      { phase: 'command', start: T + 1_500, end: T + 3_500 },
      { phase: 'collect', start: T + 3_500, end: T + 3_600 },
      { phase: 'shutdown', start: T + 3_600, end: T + 4_000 },
      { phase: 'finish', start: T + 4_000, end: T + 4_250 },
    ]);
  });

  it('keeps lying guest times between the hypervisor start and exit, in order', () => {
    // A guest claiming its command ran for a day and started before the VM did.
    const lies = { started: 50_000, command: 9_000_000, finished: 10, collected: 99_000_000 };
    const phases = vmPhases(times, lies);
    for (const phase of phases.slice(1, -1)) {
      expect(phase.start).toBeGreaterThanOrEqual(T + 300);
      expect(phase.end).toBeLessThanOrEqual(T + 4_000);
      expect(phase.end).toBeGreaterThanOrEqual(phase.start);
    }
    for (let i = 1; i < phases.length; i++) expect(phases[i]!.start).toBe(phases[i - 1]!.end);
    expect(phases.at(-1)).toEqual({ phase: 'finish', start: T + 4_000, end: T + 4_250 });
  });

  it('is one vm phase when the guest gave no times, never ran its command, or the host saw no event', () => {
    const oneVm = [
      { phase: 'prepare', start: T, end: T + 300 },
      { phase: 'vm', start: T + 300, end: T + 4_000 },
      { phase: 'finish', start: T + 4_000, end: T + 4_250 },
    ];
    expect(vmPhases(times, undefined)).toEqual(oneVm);
    expect(vmPhases(times, { ...uptimes, command: null, finished: null })).toEqual(oneVm);
    expect(vmPhases({ ...times, commandSeen: null }, uptimes)).toEqual(oneVm);
  });

  it('is all preparation when the VM never started, and ends at the job end when the exit was not seen', () => {
    expect(vmPhases({ ...times, launch: null, exit: null }, undefined)).toEqual([
      { phase: 'prepare', start: T, end: T + 4_250 },
    ]);
    expect(vmPhases({ ...times, exit: null }, undefined).map((phase) => [phase.phase, phase.end])).toEqual([
      ['prepare', T + 300],
      ['vm', T + 4_250],
      ['finish', T + 4_250],
    ]);
  });
});

describe('hostPhases and phasesFrom', () => {
  it('splits a host job into preparation, command and finish, or only preparation when nothing ran', () => {
    expect(hostPhases(T, { start: T + 40, end: T + 900 }, T + 950)).toEqual([
      { phase: 'prepare', start: T, end: T + 40 },
      { phase: 'command', start: T + 40, end: T + 900 },
      { phase: 'finish', start: T + 900, end: T + 950 },
    ]);
    expect(hostPhases(T, null, T + 12)).toEqual([{ phase: 'prepare', start: T, end: T + 12 }]);
  });

  it('records phases in milliseconds from the job start, never negative', () => {
    const startedAt = new Date(T + 5).toISOString();
    expect(
      phasesFrom(
        [
          { phase: 'prepare', start: T, end: T + 40.4 },
          { phase: 'command', start: T + 40.4, end: T + 1_000.6 },
        ],
        startedAt,
      ),
    ).toEqual([
      { phase: 'prepare', startMs: 0, ms: 40 },
      { phase: 'command', startMs: 35, ms: 960 },
    ]);
  });
});

describe("the guest's uptimes in result.json", () => {
  const result = {
    version: 1,
    status: 'passed',
    exitCode: 0,
    startedAt: null,
    finishedAt: 'x',
    message: null,
  };

  it('are optional (older agents), and when given are whole centiseconds with the command times nullable', () => {
    expect(GuestResultSchema.safeParse(result).success).toBe(true);
    const uptimes = { started: 212, command: null, finished: null, collected: 215 };
    expect(GuestResultSchema.safeParse({ ...result, uptimes }).success).toBe(true);
    for (const bad of [
      { ...uptimes, started: -1 },
      { ...uptimes, collected: 1.5 },
      { ...uptimes, started: 1e12 },
      { ...uptimes, extra: 1 },
      { started: 1, collected: 2 },
    ])
      expect(GuestResultSchema.safeParse({ ...result, uptimes: bad }).success, JSON.stringify(bad)).toBe(
        false,
      );
  });
});

const plan = buildPlan(
  jobs('version: 1\njobs:\n  build: { run: make }\n  unit: { run: make test, needs: [build] }\n'),
  context({ defaultExecutor: 'host' }),
);

function report(overrides: Partial<RunReport> = {}): RunReport {
  return {
    plan,
    run: finishedRun(plan),
    jobs: [
      jobReport({
        job: 'build',
        status: 'passed',
        startedAt: '2026-12-03T10:00:01.000Z',
        durationMs: 2_000,
        phases: [
          { phase: 'prepare', startMs: 0, ms: 100 },
          { phase: 'command', startMs: 100, ms: 1_800 },
          { phase: 'finish', startMs: 1_900, ms: 100 },
        ],
      }),
      jobReport({ job: 'unit', status: 'failed', startedAt: '2026-12-03T10:00:03.500Z', durationMs: 1_000 }),
      jobReport({ job: 'lint', status: 'skipped', startedAt: null, durationMs: null }),
    ],
    images: [
      {
        image: 'debian',
        status: 'passed',
        cached: true,
        durationMs: 800,
        message: null,
        startedAt: '2026-12-03T10:00:00.000Z',
      },
    ],
    links: {},
    ...overrides,
  };
}

describe('the run timeline', () => {
  it('has a bar per node that started, in start order, with its phases on the epoch clock', () => {
    const bars = timelineBars(report());
    expect(bars.map((bar) => [bar.label, bar.status, bar.ms])).toEqual([
      ['image debian', 'passed', 800],
      ['job build', 'passed', 2_000],
      ['job unit', 'failed', 1_000],
    ]);
    const build = Date.parse('2026-12-03T10:00:01.000Z');
    expect(bars[1]!.phases[1]).toEqual({ phase: 'command', start: build + 100, ms: 1_800 });
  });

  it('draws at most N bars: the failed first, then the longest, kept in start order', () => {
    const bars = Array.from({ length: 10 }, (_, i) => ({
      label: `job j${i}`,
      kind: 'job' as const,
      status: i === 9 ? ('failed' as const) : ('passed' as const),
      start: T + i * 1000,
      ms: i === 9 ? 1 : 100 * (i + 1),
      phases: [],
    }));
    const { shown, left } = chartBars(bars, 3);
    expect(shown.map((bar) => bar.label)).toEqual(['job j7', 'job j8', 'job j9']);
    expect(left).toBe(7);
    expect(chartBars(bars, 20)).toEqual({ shown: bars, left: 0 });
  });

  it('is a Mermaid gantt chart in the summary: a section per node, a bar per phase, failed ones crit', () => {
    const chart = ganttChart(report());
    expect(chart[0]).toBe('```mermaid');
    expect(chart).toContain('  dateFormat x');
    const build = Date.parse('2026-12-03T10:00:01.000Z');
    expect(chart).toContain('  section job build (passed)');
    expect(chart).toContain(`  command 1.8 s :done, ${build + 100}, ${build + 1_900}`);
    const unit = Date.parse('2026-12-03T10:00:03.500Z');
    expect(chart).toContain('  section job unit (failed)');
    expect(chart).toContain(`  run 1.0 s :crit, ${unit}, ${unit + 1_000}`);
    expect(chart.join('\n')).not.toContain('lint');
    expect(buildSummary(report())).toContain(chart.join('\n'));
    expect(ganttChart(report({ jobs: [], images: [] }))).toEqual([]);
    expect(buildSummary(report({ jobs: [], images: [] }))).not.toContain('mermaid');
  });

  it('says how many nodes a capped chart left out, and shows no character Mermaid would read', () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      jobReport({
        job: `j${i}`,
        status: 'passed',
        startedAt: '2026-12-03T10:00:00.000Z',
        durationMs: 1000 + i,
      }),
    );
    const chart = ganttChart(report({ jobs: many, images: [] }));
    expect(chart.filter((line) => line.startsWith('  section'))).toHaveLength(40);
    expect(chart.at(-1)).toMatch(/^_20 more node\(s\) not drawn/);
    const hostile = ganttChart(
      report({
        jobs: [],
        images: [
          {
            image: 'a:b;#c\n',
            status: 'passed',
            cached: false,
            durationMs: 5,
            message: null,
            startedAt: '2026-12-03T10:00:00.000Z',
          },
        ],
      }),
    );
    expect(hostile).toContain('  section image a_b__c_ (passed)');
  });

  it('is an HTML page with an SVG, every name escaped, failed rows outlined, and how many were drawn', () => {
    const html = timelineHtml(
      report({
        images: [
          {
            image: '<script>x</script>',
            status: 'passed',
            cached: false,
            durationMs: 5,
            message: null,
            startedAt: '2026-12-03T10:00:00.000Z',
          },
        ],
      }),
      'run <1>',
    );
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;');
    expect(html).toContain('<title>run &#60;1&#62;</title>');
    expect(html).toContain('3 node(s) over');
    expect(html.match(/stroke="#dc2626"/g)).toHaveLength(1);
    expect(html).toContain('<title>job build: command 1.8 s</title>');
  });

  it('ticks the axis in round steps, about eight of them', () => {
    expect(tickStep(3_000)).toBe(500);
    expect(tickStep(60_000)).toBe(10_000);
    expect(tickStep(100_000_000)).toBe(12_600_000);
  });
});

describe('vmplan status --timings', () => {
  const record = (overrides: Partial<NodeRecord>): NodeRecord => ({
    schemaVersion: 1,
    nodeId: 'job:unit',
    kind: 'execute',
    job: 'unit',
    executor: 'vfkit',
    status: 'passed',
    startedAt: '2026-12-03T10:00:00.000Z',
    finishedAt: '2026-12-03T10:00:04.000Z',
    durationMs: 4_000,
    exitCode: 0,
    message: null,
    logs: { host: 'jobs/unit/host.log', guest: 'jobs/unit/guest.log' },
    ...overrides,
  });

  it("prints a table per job: each phase's start, duration and share", () => {
    const text = renderPhaseTables([
      record({
        phases: [
          { phase: 'prepare', startMs: 0, ms: 120 },
          { phase: 'boot', startMs: 120, ms: 2_480 },
          { phase: 'command', startMs: 2_600, ms: 1_400 },
        ],
      }),
      record({ nodeId: 'job:lint', job: 'lint', status: 'skipped', startedAt: null }),
      record({ nodeId: 'job:old', job: 'old', phases: undefined }),
    ]);
    expect(text.split('\n')).toEqual([
      'unit (vfkit, passed in 4.00 s)',
      '  phase    start   duration  share',
      '  prepare  0 ms    120 ms    3%',
      '  boot     120 ms  2.48 s    62%',
      '  command  2.60 s  1.40 s    35%',
      '',
      'old (vfkit, passed in 4.00 s)',
      '  no timings recorded',
    ]);
    expect(renderPhaseTables([record({ startedAt: null })])).toBe('no job of this run started');
  });
});
