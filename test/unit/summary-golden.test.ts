// The job summary's exact Markdown for representative runs, and where its limits (rows, list lines, message
// length, log bytes) cut. Golden text: any change to what a reader sees shows up here.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import type { RunRecord } from '../../src/records/schema.js';
import type { JobReport } from '../../src/report/model.js';
import { buildSummary } from '../../src/report/summary.js';
import { context, finishedRun, jobReport, jobs, testSummary } from '../support/jobs.js';

const plan = buildPlan(
  jobs(`version: 1
defaults: { executor: host }
jobs:
  build: { run: make }
  unit: { run: make test, needs: build }
  lint: { run: make lint }
  e2e: { run: make e2e, needs: unit }
  deploy: { run: make deploy, needs: e2e }
  docs: { run: make docs, paths: [docs/**] }
`),
  context({ changes: { known: true, source: 'test', files: ['src/a.c'] } }),
);

const run: RunRecord = finishedRun(plan, {
  finishedAt: '2026-12-03T10:02:05.000Z',
  durationMs: 125_000,
  message: '"unit" failed | see <logs>',
  counts: { passed: 2, failed: 1, timed_out: 1, skipped: 1 },
});

const job = (overrides: Partial<JobReport>): JobReport =>
  jobReport({
    job: 'build',
    description: '',
    executor: 'host',
    status: 'passed',
    durationMs: 1500,
    exitCode: 0,
    message: null,
    logTail: '',
    ...overrides,
  });

const reports: JobReport[] = [
  job({}),
  job({ job: 'lint', durationMs: 800 }),
  job({
    job: 'unit',
    executor: 'vfkit',
    status: 'failed',
    durationMs: 65_000,
    exitCode: 2,
    message: 'exited with code 2 <&>',
    logTail: 'compiling\n```\nassert 1 == 2\n',
  }),
  job({
    job: 'e2e',
    executor: 'qemu',
    status: 'timed_out',
    durationMs: 3_725_000,
    exitCode: null,
    message: 'timed out after 1h',
    logTail: 'waiting\n',
    logTruncated: true,
  }),
  job({
    job: 'deploy',
    status: 'skipped',
    durationMs: null,
    exitCode: null,
    message: 'needs "e2e", which timed out',
  }),
];

describe('the job summary, exactly', () => {
  it('a failed run: title counts, plan and log links, notes, images, table, jobs not run, excluded, failure logs', () => {
    const summary = buildSummary({
      plan,
      run,
      jobs: reports,
      images: [
        { image: 'debian', status: 'passed', cached: true, durationMs: 12, message: null },
        { image: 'alpine', status: 'passed', cached: false, durationMs: 61_000, message: null },
        { image: 'nix', status: 'failed', cached: false, durationMs: null, message: 'nix build | exited 1' },
        { image: 'other', status: 'skipped', cached: false, durationMs: null, message: null },
      ],
      notes: ['shard 2 did not report <results>'],
      links: { plan: 'https://x/plan', logs: 'https://x/logs' },
    });
    expect(summary).toBe(`## vmplan run: failed — 2 passed, 1 failed, 1 timed out, 1 skipped

Plan [\`${plan.planId.slice(0, 12)}\`](https://x/plan): 5 job(s), 0 image(s), 4 stage(s), 1 excluded.
Run \`20261203T100000Z-0000abcd\` in 2m 05s — "unit" failed &#124; see &lt;logs&gt;.
> ⚠️ shard 2 did not report &lt;results&gt;

Images: \`debian\` from the cache (12 ms), \`alpine\` built (1m 01s), \`nix\` failed: nix build &#124; exited 1 (–), \`other\` skipped (–).

| status | job | duration | exit | executor | logs |
| --- | --- | --- | --- | --- | --- |
| ✅ passed | \`build\` | 1.5 s | 0 | host | [logs](https://x/logs) |
| ✅ passed | \`lint\` | 0.8 s | 0 | host | [logs](https://x/logs) |
| ❌ failed | \`unit\` | 1m 05s | 2 | vfkit | [logs](https://x/logs) |
| ⏱️ timed out | \`e2e\` | 1h 02m | – | qemu | [logs](https://x/logs) |
| ↷ skipped | \`deploy\` | – | – | host | [logs](https://x/logs) |

**Not run:**
- \`deploy\` skipped: needs "e2e", which timed out

<details><summary>Excluded jobs</summary>

- \`docs\`: no changed file matches paths (docs/**); 1 file(s) changed

</details>

<details><summary>❌ <code>unit</code> failed, exit 2: exited with code 2 &lt;&amp;&gt;</summary>



\`\`\`text
compiling
'''
assert 1 == 2
\`\`\`

</details>

<details><summary>❌ <code>e2e</code> timed out: timed out after 1h</summary>

_The end of the log (the whole log is in the logs artifact):_

\`\`\`text
waiting
\`\`\`

</details>
`);
  });

  it('a plan only: no run line, no links, changed files unknown, an empty table', () => {
    const unknown = buildPlan(
      jobs('version: 1\ndefaults: { executor: host }\njobs:\n  unit: { run: x }\n'),
      context({ changes: { known: false, reason: 'a new branch | pushed' } }),
    );
    expect(buildSummary({ plan: unknown, run: undefined, jobs: [], links: {} })).toBe(`## vmplan plan

Plan \`${unknown.planId.slice(0, 12)}\`: 1 job(s), 0 image(s), 1 stage(s), 0 excluded.
Changed files unknown (a new branch &#124; pushed): no job was filtered out by \`paths\`.

| status | job | duration | exit | executor | logs |
| --- | --- | --- | --- | --- | --- |
`);
  });

  it('a merged report is titled by the merge; without a logs link the column stays empty', () => {
    const summary = buildSummary({
      plan,
      run: { ...run, message: null },
      jobs: [job({})],
      merged: { status: 'passed', results: 3 },
      links: {},
    });
    expect(summary.split('\n').slice(0, 4)).toEqual([
      '## vmplan report: passed — 3 result(s) merged',
      '',
      `Plan \`${plan.planId.slice(0, 12)}\`: 5 job(s), 0 image(s), 4 stage(s), 1 excluded.`,
      'Run `20261203T100000Z-0000abcd` in 2m 05s.',
    ]);
    expect(summary).toContain('| ✅ passed | `build` | 1.5 s | 0 | host |  |\n');
    expect(summary).not.toContain('Images:');
    expect(summary).not.toContain('Not run');
  });

  it('a cancelled job is listed as not run with its reason, and an empty reason stays empty', () => {
    const summary = buildSummary({
      plan,
      run,
      jobs: [job({ job: 'lint', status: 'cancelled', message: null, exitCode: null })],
      links: {},
    });
    expect(summary).toContain('**Not run:**\n- `lint` cancelled: \n');
    expect(summary).not.toContain('<details><summary>❌');
  });
});

describe('the job summary at its limits', () => {
  it('lists 200 lines of a list in full, and at 201 names the one more', () => {
    const skipped = (count: number) =>
      Array.from({ length: count }, (_, i) =>
        job({ job: `j${i}`, status: 'skipped', durationMs: null, exitCode: null, message: 'm' }),
      );
    const full = buildSummary({ plan, run, jobs: skipped(200), links: {} });
    expect(full).toContain('- `j199` skipped: m');
    expect(full).not.toContain('more job(s)');
    const over = buildSummary({ plan, run, jobs: skipped(201), links: {} });
    expect(over).toContain('- `j199` skipped: m\n- … and 1 more job(s)');
    expect(over).not.toContain('- `j200`');
  });

  it('shows a message of 500 characters whole, and clips one of 501 with an ellipsis', () => {
    const notes = ['a'.repeat(500), 'b'.repeat(501)];
    const summary = buildSummary({ plan, run, jobs: [], links: {}, notes });
    expect(summary).toContain(`> ⚠️ ${'a'.repeat(500)}\n`);
    expect(summary).toContain(`> ⚠️ ${'b'.repeat(500)}…\n`);
  });

  it('shows at most 500 table rows, then halves them until the table fits half the budget, saying how many more', () => {
    const many = Array.from({ length: 600 }, (_, i) => job({ job: `job${i}` }));
    const all = buildSummary({ plan, run, jobs: many, links: {} });
    expect(all).toContain('| ✅ passed | `job499` |');
    expect(all).not.toContain('`job500`');
    expect(all).toContain('| … | 100 more job(s) | | | | |');
    const tight = buildSummary({ plan, run, jobs: many, links: {} }, 20_000);
    const rows = tight.split('\n').filter((line) => line.startsWith('| ✅'));
    // 500 rows halved until the table fits half the budget: 250 rows (~47 bytes each) do not, 125 do.
    expect(rows).toHaveLength(125);
    expect(rows.at(-1)).toContain(`\`job${rows.length - 1}\``);
    expect(tight).toContain(`| … | ${600 - rows.length} more job(s) | | | | |`);
    expect(Buffer.byteLength(tight)).toBeLessThanOrEqual(20_000);
  });

  it('counts the jobs left out of a table with a tests column in a row as wide as the table', () => {
    const tested = Array.from({ length: 600 }, (_, i) =>
      job({ job: `job${i}`, tests: testSummary({ total: 1, passed: 1, failed: 0 }) }),
    );
    const lines = buildSummary({ plan, run, jobs: tested, links: {} }).split('\n');
    expect(lines).toContain('| status | job | duration | exit | executor | tests | logs |');
    expect(lines).toContain('| … | 100 more job(s) | | | | | |');
  });

  it('shows no row at all when not even one fits half the budget, and still says how many jobs there are', () => {
    const many = Array.from({ length: 10 }, (_, i) => job({ job: `job${i}` }));
    // The head alone (title, plan line, run line, table header) takes more than half of 600 bytes.
    const summary = buildSummary({ plan, run, jobs: many, links: {} }, 600);
    const lines = summary.split('\n');
    expect(lines.filter((line) => line.startsWith('| ✅'))).toEqual([]);
    expect(lines).toContain('| … | 10 more job(s) | | | | |');
  });

  it('keeps only the end of a long log, from a whole line, and says it is the end', () => {
    const lines = Array.from({ length: 4000 }, (_, i) => `line ${String(i).padStart(4, '0')}`);
    const summary = buildSummary({
      plan,
      run,
      jobs: [job({ status: 'failed', exitCode: 1, logTail: `${lines.join('\n')}\n` })],
      links: {},
    });
    expect(summary).toContain('_The end of the log (the whole log is in the logs artifact):_');
    expect(summary).toContain('line 3999\n```');
    const shown = summary.slice(summary.indexOf('```text\n') + 8, summary.lastIndexOf('\n```'));
    // 16 KiB of the log's end, starting at a line's beginning.
    expect(shown).toMatch(/^line \d{4}\n/);
    expect(Buffer.byteLength(shown)).toBeLessThanOrEqual(16 * 1024);
    expect(Buffer.byteLength(shown)).toBeGreaterThan(16 * 1024 - 20);
  });

  it("stays under GitHub's 1 MiB by default, filled with as many failure logs as fit in 1,000,000 bytes", () => {
    const failing = Array.from({ length: 100 }, (_, i) =>
      job({
        job: `f${i}`,
        status: 'failed',
        exitCode: 1,
        message: 'exited with code 1',
        logTail: `${'x'.repeat(99)}\n`.repeat(300),
      }),
    );
    const summary = buildSummary({ plan, run, jobs: failing, links: {} });
    const bytes = Buffer.byteLength(summary, 'utf8');
    expect(bytes).toBeLessThanOrEqual(1_000_000);
    // Each section quotes 16 KiB of its log: the budget is used, not left mostly empty.
    expect(bytes).toBeGreaterThan(1_000_000 - 20_000);
    expect(summary).toMatch(/\n_\d+ more failed job\(s\): see the logs artifact\._\n$/);
  });

  it('gives up listing failures when the next would not fit, naming how many are left', () => {
    const failed = Array.from({ length: 5 }, (_, i) =>
      job({ job: `f${i}`, status: 'failed', exitCode: 1, logTail: `${'x'.repeat(99)}\n`.repeat(100) }),
    );
    const summary = buildSummary({ plan, run, jobs: failed, links: { logs: 'https://x/logs' } }, 25_000);
    const sections = summary.split('<details><summary>❌').length - 1;
    expect(sections).toBeGreaterThan(0);
    expect(sections).toBeLessThan(5);
    expect(summary).toContain(`_${5 - sections} more failed job(s): see the [logs](https://x/logs)._`);
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(25_000);
  });
});
