import { describe, expect, it } from 'vitest';
import { parseDiagnostics, relativizer } from '../../src/parsers/diagnostics/parse.js';
import { junit } from '../../src/parsers/formats/junit.js';
import type { Relativize } from '../../src/parsers/model.js';
import { testFailureDiagnostics } from '../../src/parsers/test-diagnostics.js';
import { buildPlan } from '../../src/plan/build.js';
import {
  type Annotation,
  clampMessage,
  diagnosticAnnotations,
  jobAnnotations,
  mostUseful,
} from '../../src/report/annotations.js';
import { checkAnnotationBatches, checkRunOutput, conclusionOf } from '../../src/report/check-runs.js';

/** What the JUnit format's failures annotate (the old parseJunit, now format + shared failure diagnostics). */
const parseJunit = (job: string, xml: string, relativize: Relativize) => {
  try {
    return testFailureDiagnostics(job, junit.parse(xml), relativize);
  } catch {
    return [];
  }
};

import { buildSummary } from '../../src/report/summary.js';
import { context, finishedRun, jobReport, jobs } from '../support/jobs.js';

const files = new Set([
  'src/main.rs',
  'src/app.c',
  'src/a.ts',
  'src/b.tsx',
  'tests/test_math.py',
  'pkg/main.go',
  'web/app.test.ts',
  'lib/util.js',
]);
const relativize = relativizer(['/workspace', '/runs/r/jobs/unit/workspace'], (path) => files.has(path));

describe('parseDiagnostics', () => {
  const at = (log: string) =>
    parseDiagnostics('unit', log, relativize).map((d) => [
      d.tool,
      d.path,
      d.line,
      d.column,
      d.severity,
      d.message,
    ]);

  it('reads gcc/clang, keeping only files of the repository', () => {
    expect(
      at(
        "/workspace/src/app.c:3:5: error: expected ';' before 'return'\n/usr/include/stdio.h:1:1: warning: ignored",
      ),
    ).toEqual([['gcc', 'src/app.c', 3, 5, 'error', "expected ';' before 'return'"]]);
  });

  it('reads rustc/cargo across two lines', () => {
    expect(at('error[E0425]: cannot find value `x` in this scope\n --> src/main.rs:2:5\n  |')).toEqual([
      ['rustc', 'src/main.rs', 2, 5, 'error', 'cannot find value `x` in this scope'],
    ]);
  });

  it('reads tsc in both formats', () => {
    expect(
      at(
        "src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.\nsrc/b.tsx:9:1 - warning TS6133: 'x' is declared but never used.",
      ),
    ).toEqual([
      ['tsc', 'src/a.ts', 3, 7, 'error', "Type 'string' is not assignable to type 'number'."],
      ['tsc', 'src/b.tsx', 9, 1, 'warning', "'x' is declared but never used."],
    ]);
  });

  it('reads eslint stylish output', () => {
    expect(
      at(
        "/workspace/lib/util.js\n  3:7  error  'y' is assigned a value but never used  no-unused-vars\n\n✖ 1 problem",
      ),
    ).toEqual([['eslint', 'lib/util.js', 3, 7, 'error', "'y' is assigned a value but never used"]]);
  });

  it('reads go build and test output', () => {
    expect(at('# example.com/pkg\npkg/main.go:12:2: undefined: x')).toEqual([
      ['go', 'pkg/main.go', 12, 2, 'error', 'undefined: x'],
    ]);
  });

  it('reads pytest failures', () => {
    expect(at('tests/test_math.py:12: AssertionError')).toEqual([
      ['pytest', 'tests/test_math.py', 12, undefined, 'error', 'AssertionError'],
    ]);
  });

  it('reads vitest/jest failures with the message above the location', () => {
    const log =
      ' FAIL  web/app.test.ts > math > adds\nAssertionError: expected 3 to be 4 // Object.is equality\n ❯ web/app.test.ts:7:17\n';
    expect(at(log)).toEqual([
      [
        'vitest',
        'web/app.test.ts',
        7,
        17,
        'error',
        'AssertionError: expected 3 to be 4 // Object.is equality',
      ],
    ]);
  });

  it('strips colours, resolves paths against the working directory, drops duplicates', () => {
    const inDir = relativizer([], (path) => files.has(path), 'src');
    const log =
      '\u001b[31mmain.rs:1:1: error: boom\u001b[0m\nmain.rs:1:1: error: boom\n../src/app.c:2:1: warning: w';
    expect(parseDiagnostics('unit', log, inDir).map((d) => [d.path, d.line])).toEqual([
      ['src/main.rs', 1],
      ['src/app.c', 2],
    ]);
  });
});

describe('relativizer', () => {
  it('takes the longest root a path is under: a job workspace inside the repository counts from the workspace', () => {
    const inside = relativizer(['/workspace', '/repo/.vmplan/runs/r/jobs/unit/workspace', '/repo'], (path) =>
      files.has(path),
    );
    expect(inside('/repo/.vmplan/runs/r/jobs/unit/workspace/src/app.c')).toBe('src/app.c');
    expect(inside('/repo/src/app.c')).toBe('src/app.c');
    expect(inside('/workspace/src/main.rs')).toBe('src/main.rs');
    expect(inside('/elsewhere/src/app.c')).toBeUndefined();
    expect(inside('/repo/.vmplan/runs/r/jobs/unit/workspace/src/missing.c')).toBeUndefined();
  });
});

describe('parseJunit', () => {
  it('turns failed and errored cases into diagnostics, placed by attributes or the failure text', () => {
    const xml = `<?xml version="1.0"?>
<testsuites><testsuite name="math">
  <testcase name="adds" classname="math" file="/workspace/web/app.test.ts" line="7"><failure message="expected 3 to be 4">AssertionError</failure></testcase>
  <testcase name="subtracts" classname="math"><error message="boom">TypeError: x\n    at web/app.test.ts:12:3</error></testcase>
  <testcase name="passes" classname="math"/>
  <testcase name="elsewhere"><failure>at /usr/lib/node.js:1:1</failure></testcase>
</testsuite></testsuites>`;
    expect(
      parseJunit('unit', xml, relativize).map((d) => [d.path, d.line, d.title, d.message.split('\n')[0]]),
    ).toEqual([
      ['web/app.test.ts', 7, 'test failed: math › adds', 'expected 3 to be 4'],
      ['web/app.test.ts', 12, 'test failed: math › subtracts', 'boom'],
    ]);
  });

  it('ignores what is not XML', () => {
    expect(parseJunit('unit', '<<<not xml', relativize)).toEqual([]);
  });
});

const report = jobReport;

describe('annotations', () => {
  it('gives each failed or timed-out job one annotation on its definition', () => {
    const annotations = jobAnnotations(
      [
        report({}),
        report({ job: 'e2e', status: 'timed_out', exitCode: null }),
        report({ job: 'ok', status: 'passed' }),
      ],
      (job) => (job === 'unit' ? { file: '.github/vmplan.yml', line: 9 } : undefined),
    );
    expect(annotations.map((a) => [a.title, a.file, a.line])).toEqual([
      ['vmplan: unit failed (exit 3)', '.github/vmplan.yml', 9],
      ['vmplan: e2e timed out', undefined, undefined],
    ]);
    expect(annotations[0]!.message).toBe('exited with code 3\nline 1\nline 2');
  });

  it('keeps the ten most useful per level: job failures first, then diagnostics round-robin over jobs', () => {
    const diagnostic = (job: string, i: number): Annotation => ({
      level: 'error',
      title: `${job} ${i}`,
      message: 'm',
      file: 'a',
      line: i,
      job,
      kind: 'diagnostic',
    });
    const all: Annotation[] = [
      ...Array.from({ length: 30 }, (_, i) => diagnostic('noisy', i)),
      diagnostic('quiet', 0),
      { level: 'error', title: 'vmplan: noisy failed', message: '', job: 'noisy', kind: 'job' },
      { level: 'warning', title: 'w', message: '', job: 'quiet', kind: 'diagnostic' },
    ];
    const chosen = mostUseful(all);
    expect(chosen.filter((a) => a.level === 'error').map((a) => a.title)).toEqual([
      'vmplan: noisy failed',
      'noisy 0',
      'quiet 0',
      ...Array.from({ length: 7 }, (_, i) => `noisy ${i + 1}`),
    ]);
    expect(chosen.filter((a) => a.level === 'warning')).toHaveLength(1);
  });

  it('clamps long messages to what the runner keeps, saying so', () => {
    const clamped = clampMessage('x'.repeat(10_000));
    expect(clamped.length).toBe(4096);
    expect(clamped).toMatch(/truncated; the full text is in the check run/);
  });
});

describe('check runs', () => {
  it('maps statuses to conclusions', () => {
    expect(
      ['passed', 'failed', 'timed_out', 'cancelled', 'skipped'].map((s) => conclusionOf(s as never)),
    ).toEqual(['success', 'failure', 'timed_out', 'cancelled', 'skipped']);
  });

  it('batches annotations 50 to a request, with only placeable ones', () => {
    const many = diagnosticAnnotations(
      Array.from({ length: 120 }, (_, i) => ({
        job: 'j',
        path: 'a.c',
        line: i + 1,
        column: 1,
        severity: 'error' as const,
        title: 't',
        message: 'm',
        tool: 'gcc',
      })),
    );
    const batches = checkAnnotationBatches([
      ...many,
      { level: 'error', title: 'no place', message: 'x', job: 'j', kind: 'job' },
    ]);
    expect(batches.map((b) => b.length)).toEqual([50, 50, 20]);
    expect(batches[0]![0]).toEqual({
      path: 'a.c',
      start_line: 1,
      end_line: 1,
      annotation_level: 'failure',
      message: 'm',
      title: 't (j)',
    });
  });

  it('fits the output text within the API limit', () => {
    const output = checkRunOutput(report({ logTail: 'z'.repeat(200_000), logTruncated: true }), 3);
    expect(output.title).toBe('unit: failed (exit 3) in 3.4 s');
    expect(output.text!.length).toBeLessThanOrEqual(65_535);
    expect(output.summary).toContain('3 annotation(s).');
  });
});

describe('buildSummary', () => {
  const plan = buildPlan(
    jobs(
      'version: 1\ndefaults: { executor: host }\njobs:\n  unit: { run: x }\n  docs: { run: y, paths: [docs/**] }\n',
    ),
    context({ changes: { known: true, source: 'test', files: ['src/a.c'] } }),
  );
  const run = finishedRun(plan);

  it('shows the table, the plan link, exclusions and the failed log', () => {
    const summary = buildSummary({
      plan,
      run,
      jobs: [report({})],
      links: { plan: 'https://x/plan', logs: 'https://x/logs' },
    });
    expect(summary).toContain('## vmplan run: failed — 1 failed');
    expect(summary).toContain(`Plan [\`${plan.planId.slice(0, 12)}\`](https://x/plan)`);
    expect(summary).toContain('| ❌ failed | `unit` | 3.4 s | 3 | vfkit | [logs](https://x/logs) |');
    expect(summary).toContain('- `docs`: no changed file matches paths (docs/**); 1 file(s) changed');
    expect(summary).toContain('line 1\nline 2');
  });

  it('says how each image was prepared', () => {
    const images = [
      { image: 'debian', status: 'passed' as const, cached: true, durationMs: 12, message: null },
      {
        image: 'alpine',
        status: 'failed' as const,
        cached: false,
        durationMs: 900,
        message: 'the image build command exited with 2',
      },
    ];
    expect(buildSummary({ plan, run, jobs: [], images, links: {} })).toContain(
      'Images: `debian` from the cache (12 ms), `alpine` failed: the image build command exited with 2 (900 ms).',
    );
  });

  it('stays within the budget whatever the logs, trimming with a note', () => {
    const big = Array.from({ length: 100 }, (_, i) =>
      report({ job: `job${i}`, logTail: `${'x'.repeat(100)}\n`.repeat(5000), logTruncated: true }),
    );
    for (const budget of [1_000_000, 100_000, 20_000]) {
      const summary = buildSummary({ plan, run, jobs: big, links: {} }, budget);
      expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(budget);
      expect(summary).toMatch(/more failed job\(s\): see the logs artifact/);
    }
  });

  it('stays within 1 MiB when thousands of jobs are skipped with long reasons, saying how many more', () => {
    const skipped = Array.from({ length: 5000 }, (_, i) =>
      report({ job: `job${i}`, status: 'skipped', exitCode: null, message: `needs ${'x'.repeat(2000)}` }),
    );
    const notes = Array.from({ length: 1000 }, (_, i) => `note ${i} ${'y'.repeat(3000)}`);
    const summary = buildSummary({ plan, run, jobs: skipped, links: {}, notes });
    expect(Buffer.byteLength(summary)).toBeLessThan(1024 * 1024);
    expect(summary).toContain('- … and 4800 more job(s)');
    expect(summary).toContain('- … and 800 more note(s)');
  });

  it('says when changed files were unknown', () => {
    const unknown = buildPlan(
      jobs('version: 1\ndefaults: { executor: host }\njobs:\n  unit: { run: x }\n'),
      context({ changes: { known: false, reason: 'a new branch was pushed' } }),
    );
    expect(buildSummary({ plan: unknown, run: undefined, jobs: [], links: {} })).toContain(
      'Changed files unknown (a new branch was pushed): no job was filtered out by `paths`.',
    );
  });
});
