import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import { type NodeStatus, PHASE_NAMES } from '../../src/records/schema.js';
import type { ImageReport, JobReport, RunReport } from '../../src/report/model.js';
import { buildSummary } from '../../src/report/summary.js';
import {
  chartBars,
  ganttChart,
  MAX_HTML_BARS,
  type TimelineBar,
  tickStep,
  timelineBars,
  timelineHtml,
} from '../../src/report/timeline.js';
import { context, finishedRun, jobReport, jobs } from '../support/jobs.js';

// The geometry of the pictures: what a reader sees is where each bar starts and ends, so these tests read the
// drawn positions back and compare them with the times.

const T = Date.parse('2026-12-03T10:00:00.000Z');
const iso = (ms: number) => new Date(T + ms).toISOString();

const plan = buildPlan(
  jobs('version: 1\njobs:\n  build: { run: make }\n'),
  context({ defaultExecutor: 'host' }),
);

function image(name: string, start: number, ms: number, status: NodeStatus = 'passed'): ImageReport {
  return { image: name, status, cached: false, durationMs: ms, message: null, startedAt: iso(start) };
}

function job(name: string, start: number, ms: number, status: NodeStatus, phases: JobReport['phases'] = []) {
  return jobReport({ job: name, status, startedAt: iso(start), durationMs: ms, phases });
}

function report(jobList: JobReport[], images: ImageReport[] = []): RunReport {
  return { plan, run: finishedRun(plan), jobs: jobList, images, links: {} };
}

function bar(label: string, start: number, ms: number, status: NodeStatus = 'passed'): TimelineBar {
  return { label, kind: 'job', status, start: T + start, ms, phases: [] };
}

/** Every element of one tag in the SVG, as its attributes (and text, for <text>). */
function elements(html: string, tag: 'rect' | 'line' | 'text') {
  const found: Record<string, string>[] = [];
  for (const match of html.matchAll(new RegExp(`<${tag} ([^>]*?)(/?)>([^<]*)`, 'g'))) {
    const attributes: Record<string, string> = { body: match[2] === '/' ? '' : (match[3] ?? '') };
    for (const pair of (match[1] ?? '').matchAll(/([a-z0-9-]+)="([^"]*)"/g)) attributes[pair[1]!] = pair[2]!;
    found.push(attributes);
  }
  return found;
}

/** The x position the HTML timeline gives a time: 220 px of labels, then 770 px for the run's span. */
const xAt = (ms: number, span: number) => (220 + (ms / span) * 770).toFixed(1);

describe('the order of the timeline', () => {
  it('is start order whatever the plan order, images before jobs on ties, plan order among equals', () => {
    const bars = timelineBars(
      report(
        [
          job('late', 3000, 10, 'passed'),
          job('early', 500, 10, 'passed'),
          job('same-a', 1000, 10, 'passed'),
        ].concat([job('same-b', 1000, 10, 'passed'), job('same-c', 1000, 10, 'passed')]),
        [image('debian', 1000, 10)],
      ),
    );
    expect(bars.map((one) => one.label)).toEqual([
      'job early',
      'image debian',
      'job same-a',
      'job same-b',
      'job same-c',
      'job late',
    ]);
  });

  it('keeps images that start together in plan order, as it does jobs', () => {
    const bars = timelineBars(
      report(
        [job('unit', 0, 10, 'passed'), job('lint', 0, 10, 'passed')],
        [image('debian', 0, 10), image('alpine', 0, 10), image('fedora', 0, 10)],
      ),
    );
    expect(bars.map((one) => one.label)).toEqual([
      'image debian',
      'image alpine',
      'image fedora',
      'job unit',
      'job lint',
    ]);
  });

  it('leaves out nodes without a start or a duration', () => {
    const bars = timelineBars(
      report(
        [job('ran', 0, 10, 'passed'), jobReport({ job: 'never', startedAt: iso(5), durationMs: null })],
        [
          { ...image('unbuilt', 0, 5), startedAt: null },
          { ...image('odd', 0, 5), durationMs: null },
        ],
      ),
    );
    expect(bars.map((one) => one.label)).toEqual(['job ran']);
  });
});

describe('capping a chart', () => {
  it('keeps failed and timed-out bars first, then the longest, then the earliest among equals', () => {
    const bars = [
      bar('job a', 0, 100),
      bar('job b', 10, 100),
      bar('job c', 20, 100),
      bar('job d', 30, 5, 'timed_out'),
      bar('job e', 40, 100),
    ];
    expect(chartBars(bars, 2)).toEqual({ shown: [bars[0], bars[3]], left: 3 });
    expect(chartBars(bars, 3).shown.map((one) => one.label)).toEqual(['job a', 'job b', 'job d']);
    expect(chartBars(bars, 5)).toEqual({ shown: bars, left: 0 });
  });
});

describe('the Mermaid gantt chart', () => {
  it('starts with the chart header and a seconds axis for a run under an hour', () => {
    const chart = ganttChart(report([job('build', 0, 59 * 60_000, 'passed')]));
    expect(chart.slice(0, 4)).toEqual(['```mermaid', 'gantt', '  dateFormat x', '  axisFormat %H:%M:%S']);
    expect(chart.at(-1)).toBe('```');
  });

  it('measures the axis from the first start to the last end, whichever node ends last', () => {
    const hour = 3_600_000;
    const axis = (list: JobReport[]) => ganttChart(report(list))[3];
    expect(axis([job('long', 0, hour, 'passed'), job('short', 1000, 10, 'passed')])).toBe(
      '  axisFormat %H:%M',
    );
    expect(axis([job('a', 0, 10, 'passed'), job('b', hour - 10, 9, 'passed')])).toBe('  axisFormat %H:%M:%S');
    expect(axis([job('a', 0, 10, 'passed'), job('b', hour - 10, 10, 'passed')])).toBe('  axisFormat %H:%M');
    expect(axis([job('a', 5000, 10, 'passed'), job('b', hour, 4000, 'passed')])).toBe(
      '  axisFormat %H:%M:%S',
    );
  });

  it('marks passed bars done, failed and timed-out ones crit, the rest active', () => {
    const chart = ganttChart(
      report([
        job('ok', 0, 10, 'passed'),
        job('bad', 0, 10, 'failed'),
        job('slow', 0, 10, 'timed_out'),
        job('stopped', 0, 10, 'cancelled'),
      ]),
    );
    expect(chart.filter((line) => line.includes(' :'))).toEqual([
      `  run 10 ms :done, ${T}, ${T + 10}`,
      `  run 10 ms :crit, ${T}, ${T + 10}`,
      `  run 10 ms :crit, ${T}, ${T + 10}`,
      `  run 10 ms :active, ${T}, ${T + 10}`,
    ]);
  });

  it('draws the phases that took time; the whole node when none did; an image as its preparation', () => {
    const chart = ganttChart(
      report(
        [
          job('phased', 0, 300, 'passed', [
            { phase: 'prepare', startMs: 0, ms: 0 },
            { phase: 'command', startMs: 0, ms: 300 },
          ]),
          job('instant', 400, 0, 'passed', [{ phase: 'command', startMs: 0, ms: 0 }]),
        ],
        [image('debian', 0, 50)],
      ),
    );
    expect(chart.slice(4)).toEqual([
      '  section image debian (passed)',
      `  prepare 50 ms :done, ${T}, ${T + 50}`,
      '  section job phased (passed)',
      `  command 300 ms :done, ${T}, ${T + 300}`,
      '  section job instant (passed)',
      `  run 0 ms :done, ${T + 400}, ${T + 401}`,
      '```',
    ]);
  });

  it('says how many nodes it left out after the chart, separated by an empty line', () => {
    const chart = ganttChart(report([job('a', 0, 10, 'passed'), job('b', 0, 20, 'passed')]), 1);
    expect(chart.slice(-3)).toEqual([
      '```',
      '',
      '_1 more node(s) not drawn (the chart shows the failed and the longest 1); the HTML timeline in the logs artifact has all of them._',
    ]);
  });
});

describe("the summary's chart", () => {
  it('draws the failed and the 40 longest of 45 nodes, saying 5 more are in the HTML timeline', () => {
    const many = Array.from({ length: 45 }, (_, i) =>
      job(`j${i}`, i * 10, 100 + i, i === 0 ? 'failed' : 'passed'),
    );
    const summary = buildSummary(report(many)).split('\n');
    const sections = summary.filter((line) => line.startsWith('  section '));
    expect(sections).toHaveLength(40);
    // j0 failed; j1 to j5 are the shortest that passed.
    expect(sections[0]).toBe('  section job j0 (failed)');
    expect(sections.some((line) => /job j[1-5] /.test(line))).toBe(false);
    expect(summary).toContain(
      '_5 more node(s) not drawn (the chart shows the failed and the longest 40); the HTML timeline in the logs artifact has all of them._',
    );
  });
});

describe('the HTML timeline', () => {
  // An image 0–0.8 s, a phased job 1–3 s, a failed job 3–4 s: the run spans exactly 4 s.
  const run = report(
    [
      job('build', 1000, 2000, 'passed', [
        { phase: 'prepare', startMs: 0, ms: 500 },
        { phase: 'command', startMs: 500, ms: 1500 },
      ]),
      job('unit', 3000, 1000, 'failed'),
    ],
    [image('debian', 0, 800)],
  );
  const html = timelineHtml(run, 'run 7');
  const span = 4000;

  it('is a complete page: title, heading, counts, legend and an SVG sized to its rows', () => {
    const lines = html.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '<!doctype html>',
      '<html lang="en"><head><meta charset="utf-8">',
      '<title>run 7</title>',
    ]);
    expect(lines[3]).toMatch(/^<style>body\{.*<\/style>$/);
    expect(lines.slice(4, 7)).toEqual([
      '</head><body>',
      '<h1>run 7</h1>',
      '<p>3 node(s) over 4.0 s; failed ones outlined in red. Hover a bar for its phase and duration.</p>',
    ]);
    expect(lines[7]).toBe('');
    const legend = [
      ...(lines[8] ?? '').matchAll(/<span><i style="background:(#[0-9a-f]{6})"><\/i>([a-z]+)<\/span>/g),
    ];
    expect(legend.map((entry) => entry[2])).toEqual([...PHASE_NAMES]);
    expect(new Set(legend.map((entry) => entry[1])).size).toBe(PHASE_NAMES.length);
    expect(lines[9]).toBe(
      '<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="100" viewBox="0 0 1000 100">',
    );
    expect(lines.slice(-3)).toEqual(['</svg>', '</body></html>', '']);
  });

  it('ticks the axis every half second from the first start to the end, each labelled', () => {
    const lines = elements(html, 'line');
    const ticks = Array.from({ length: 9 }, (_, i) => i * 500);
    expect(lines).toEqual(
      ticks.map((tick) => ({
        body: '',
        x1: xAt(tick, span),
        x2: xAt(tick, span),
        y1: '25',
        y2: '90',
        stroke: '#e5e7eb',
      })),
    );
    const labels = elements(html, 'text').filter((text) => text['text-anchor'] === 'middle');
    expect(labels.map((label) => [label.x, label.y, label.body])).toEqual(
      ticks.map((tick) => [xAt(tick, span), '20', `${(tick / 1000).toFixed(1)} s`]),
    );
  });

  it('draws each node on its own row, labelled, its phases where they happened, its outline over the node', () => {
    const names = elements(html, 'text').filter((text) => text['text-anchor'] === 'end');
    expect(names.map((name) => [name.x, name.y, name.body, name.fill])).toEqual([
      ['214', '44', 'image debian', undefined],
      ['214', '64', 'job build', undefined],
      ['214', '84', 'job unit', '#b91c1c'],
    ]);
    const rects = elements(html, 'rect').map((rect) => [rect.x, rect.y, rect.width, rect.height, rect.fill]);
    const width = (ms: number) => ((ms / span) * 770).toFixed(1);
    expect(rects).toEqual([
      [xAt(0, span), '33', width(800), '14', '#60a5fa'],
      [xAt(0, span), '32', width(800), '16', 'none'],
      [xAt(1000, span), '53', width(500), '14', '#9ca3af'],
      [xAt(1500, span), '53', width(1500), '14', '#3b82f6'],
      [xAt(1000, span), '52', width(2000), '16', 'none'],
      [xAt(3000, span), '73', width(1000), '14', '#60a5fa'],
      [xAt(3000, span), '72', width(1000), '16', 'none'],
    ]);
    const outlines = elements(html, 'rect').filter((rect) => rect.fill === 'none');
    expect(outlines.map((rect) => [rect.stroke, rect['stroke-width']])).toEqual([
      ['#374151', '0.5'],
      ['#374151', '0.5'],
      ['#dc2626', '2'],
    ]);
    expect(html).toContain('<title>job unit: failed in 1.0 s</title>');
    expect(html).toContain('<title>image debian: run 800 ms</title>');
  });

  it('gives an instant node a visible sliver, and an empty run an empty picture', () => {
    const instant = timelineHtml(report([job('a', 0, 1000, 'passed'), job('b', 500, 0, 'passed')]), 'r');
    expect(
      elements(instant, 'rect')
        .filter((rect) => rect.x === xAt(500, 1000))
        .map((rect) => rect.width),
    ).toEqual(['0.5', '0.5']);
    const empty = timelineHtml(report([]), 'r');
    expect(empty).toContain('<p>0 node(s) over');
    expect(elements(empty, 'rect')).toEqual([]);
    expect(empty).toContain('height="40" viewBox="0 0 1000 40"');
  });

  it('says how many nodes it left out when a run has more than it draws', () => {
    const many = Array.from({ length: MAX_HTML_BARS + 1 }, (_, i) => job(`j${i}`, i, 10 + i, 'passed'));
    const page = timelineHtml(report(many), 'big');
    expect(page).toContain(
      `<p>1 more node(s) not drawn (the failed and the longest ${MAX_HTML_BARS} are).</p>`,
    );
    expect(page).not.toContain('>job j0<');
    expect(page).toContain('>job j1<');
  });
});

describe('names in the pictures', () => {
  it('reach the HTML escaped and the Mermaid chart as letters, digits and a few plain marks only', () => {
    const odd = report([job(`a&b"c'd<e>%%f,g{h}:i#j;k`, 0, 10, 'failed')]);
    const html = timelineHtml(odd, 'run <1> & "2"');
    expect(html).toContain('<title>run &#60;1&#62; &#38; &#34;2&#34;</title>');
    expect(html).toContain('>job a&#38;b&#34;c&#39;d&#60;e&#62;%%f,g{h}:i#j;k</text>');
    expect(html).not.toContain('<e>');
    expect(ganttChart(odd)).toContain('  section job a_b_c_d_e___f_g_h__i_j_k (failed)');
  });
});

describe('axis steps', () => {
  it('is the smallest round step giving at most eight ticks', () => {
    expect(tickStep(4_000)).toBe(500);
    expect(tickStep(4_001)).toBe(1_000);
    expect(tickStep(800)).toBe(100);
    expect(tickStep(4_800_000)).toBe(600_000);
    expect(tickStep(4_800_001)).toBe(1_200_000);
  });
});
