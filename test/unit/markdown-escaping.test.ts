// Job-derived text in GitHub's Markdown is text (docs/security.md): each escaping rule of src/report/markdown.ts on
// its own, then every place of the job summary and a check run's output where a job's text lands — each must show
// the text, never render it, whichever field it came through.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import type { Plan } from '../../src/plan/schema.js';
import { jobAnnotations } from '../../src/report/annotations.js';
import { checkRunCompletion, checkRunOutput } from '../../src/report/check-runs.js';
import { codeSpan, fencedText, markdownInline, markdownLines, plainText } from '../../src/report/markdown.js';
import type { JobReport, RunReport } from '../../src/report/model.js';
import { buildSummary } from '../../src/report/summary.js';
import { attempt, context, failedTest, finishedRun, jobReport, jobs, testSummary } from '../support/jobs.js';

const ESC = '\x1b';
const ZWSP = '\u200b';

describe('one line of Markdown', () => {
  it('turns every character that makes HTML, a table, code, a heading, a reference or a link into an entity', () => {
    expect(markdownInline('& < > | ` # [ ] \\')).toBe('&amp; &lt; &gt; &#124; &#96; &#35; &#91; &#93; &#92;');
    // An entity a job wrote stays as written, not decoded by the reader: `&lt;` shows as `&lt;`.
    expect(markdownInline('&lt;img&gt;')).toBe('&amp;lt;img&amp;gt;');
  });

  it('leaves emphasis and ordinary text alone', () => {
    expect(markdownInline('*bold* _it_ ~strike~ a-b 1. (x) {y} "q" \'s\' $')).toBe(
      '*bold* _it_ ~strike~ a-b 1. (x) {y} "q" \'s\' $',
    );
  });

  it('puts every line on one (LF or CRLF), with controls visible and an escape sequence inert', () => {
    expect(markdownInline('one\ntwo\r\nthree')).toBe('one two three');
    expect(markdownInline(`${ESC}]0;title\x07${ESC}[2J\u202e`)).toBe('␛&#93;0;title␇␛&#91;2J&lt;U+202E&gt;');
  });

  it('breaks every mention, once, however many there are', () => {
    expect(markdownInline('@a @b email@host @@c')).toBe(
      `@${ZWSP}a @${ZWSP}b email@${ZWSP}host @${ZWSP}@${ZWSP}c`,
    );
    expect(markdownInline(markdownInline('@a'))).toBe(`@${ZWSP}a`);
  });
});

describe('several lines of Markdown', () => {
  it('keeps the lines apart, each escaped as one line', () => {
    expect(markdownLines('<b>\r\n@x | y\n')).toBe(`&lt;b&gt;\n@${ZWSP}x &#124; y\n`);
  });

  it('escapes what would start a list, an underline heading or a numbered item, also indented, and nothing later', () => {
    expect(markdownLines('- a\n+ b\n* c\n= d\n  - e\n12. f\n  3. g\na - b = c\n1) h')).toBe(
      '&#45; a\n&#43; b\n&#42; c\n&#61; d\n  &#45; e\n12&#46; f\n  3&#46; g\na - b = c\n1) h',
    );
  });
});

describe('a code span', () => {
  it('cannot be closed or broken by the text, and keeps a pipe unless in a table cell', () => {
    expect(codeSpan('a`b|c\r\nd')).toBe("`a'b|c d`");
    expect(codeSpan('a`b|c', true)).toBe("`a'b\\|c`");
    expect(codeSpan(`x${ESC}[2Jy`)).toBe('`x␛[2Jy`');
    // HTML and mentions are inert in a code span: left as they are.
    expect(codeSpan('<img> @bob')).toBe('`<img> @bob`');
  });
});

describe('a fenced block', () => {
  it('cannot be closed by the text; lines kept, controls visible', () => {
    expect(fencedText('a\n```\nb ```` c\r\n<img>')).toBe("a\n'''\nb '''` c\r\n<img>");
    expect(fencedText(`${ESC}]52;c;eA==\x07`)).toBe('␛]52;c;eA==␇');
  });
});

describe('plain text (annotations)', () => {
  it('keeps lines and HTML as they are (GitHub shows them as text), makes controls visible and breaks mentions', () => {
    expect(plainText(`<b>x</b>\n@bob ${ESC}[2J`)).toBe(`<b>x</b>\n@${ZWSP}bob ␛[2J`);
  });
});

/** Text that renders in GitHub's Markdown when it is not escaped: an image, a mention, a closed block, a heading, a row. */
const ATTACK = '<img src=https://evil.example/x.png> @octocat </details>\n# Approved\n| a | b |';

/** The raw forms of ATTACK, none of which may appear outside fenced blocks and code spans (nothing renders there). */
function expectInert(markdown: string, where: string): void {
  const text = markdown.replace(/```[a-z]*\n[\s\S]*?\n```/g, '').replace(/`[^`\n]*`/g, '');
  expect(text, where).not.toContain('<img');
  expect(text, where).not.toContain('@octocat');
  expect(text, where).not.toMatch(/<\/details>\s*#/);
  expect(text, where).not.toMatch(/^# Approved/m);
  expect(text, where).not.toContain('| a | b |');
}

/** How the start of ATTACK reads on one line of Markdown, escaped. */
const SHOWN = `&lt;img src=https://evil.example/x.png&gt; @${ZWSP}octocat &lt;/details&gt;`;

const plan: Plan = buildPlan(
  jobs(`version: 1
defaults: { executor: host }
jobs:
  unit: { run: make test }
  docs: { run: make docs, paths: [docs/**] }
`),
  context({ changes: { known: true, source: 'test', files: ['src/a.c'] } }),
);

/** Runs where ATTACK reaches the summary through one field each: the field, the report, how the summary shows it. */
function attacks(): [string, RunReport, string][] {
  const base = (jobList: JobReport[], overrides: Partial<RunReport> = {}): RunReport => ({
    plan,
    run: finishedRun(plan),
    jobs: jobList,
    links: {},
    ...overrides,
  });
  const failed = (overrides: Partial<JobReport>) => jobReport({ logTail: 'log\n', ...overrides });
  const withTests = (overrides: Parameters<typeof testSummary>[0]) =>
    failed({ tests: testSummary(overrides) });
  return [
    ['the run message', base([failed({})], { run: finishedRun(plan, { message: ATTACK }) }), SHOWN],
    ['a note', base([failed({})], { notes: [ATTACK] }), SHOWN],
    [
      'an image message',
      base([], {
        images: [{ image: 'guest', status: 'failed', cached: false, durationMs: 1, message: ATTACK }],
      }),
      SHOWN,
    ],
    ['a matrix display name', base([failed({ name: ATTACK })]), SHOWN],
    ['a failed job message', base([failed({ message: ATTACK })]), SHOWN],
    ['a skipped job message', base([failed({ status: 'skipped', message: ATTACK })]), SHOWN],
    ['a cancelled job message', base([failed({ status: 'cancelled', message: ATTACK })]), SHOWN],
    [
      'an attempt message',
      base([failed({ attempts: [attempt(1, 'failed', ATTACK), attempt(2, 'failed', ATTACK)] })]),
      SHOWN,
    ],
    [
      'an excluded job message',
      base([], {
        plan: {
          ...plan,
          excluded: plan.excluded.map((entry) => ({ ...entry, message: ATTACK })),
        } as Plan,
      }),
      SHOWN,
    ],
    ['a failed test name', base([withTests({ failures: [failedTest({ test: ATTACK })] })]), SHOWN],
    ['a failed test message', base([withTests({ failures: [failedTest({ message: ATTACK })] })]), SHOWN],
    [
      'a failed test place',
      base([withTests({ failures: [failedTest({ file: '<img src=x>|`@octocat`', line: 1 })] })]),
      "`<img src=x>\\|'@octocat':1`",
    ],
    [
      'a flaky test name',
      base([withTests({ flaky: [{ test: ATTACK, suite: 's', history: ['failed', 'passed'] }] })]),
      SHOWN,
    ],
    [
      'a slowest test name',
      base([withTests({ slowest: [{ test: ATTACK, suite: 's', durationMs: 9 }] })]),
      SHOWN,
    ],
    ['a report problem', base([withTests({ problems: [ATTACK] })]), SHOWN],
    [
      'a log',
      base([failed({ logTail: `${ATTACK}\n\`\`\`\n${ATTACK}\n` })]),
      "```text\n<img src=https://evil.example/x.png> @octocat </details>\n# Approved\n| a | b |\n'''\n",
    ],
  ];
}

describe('job text in the job summary', () => {
  it.each(attacks())('through %s is shown, never rendered', (field, report, shown) => {
    const summary = buildSummary(report);
    expectInert(summary, field);
    expect(summary, field).toContain(shown);
  });

  it('keeps a log in its fence: a fence inside it cannot close it', () => {
    const summary = buildSummary(attacks().find(([field]) => field === 'a log')![1]);
    expect(summary.match(/```/g)).toHaveLength(2);
  });
});

describe("job text in a check run's output", () => {
  const outputs = (job: JobReport) => {
    const output = checkRunOutput(job, 0);
    return [output.title, output.summary, output.text ?? ''];
  };

  it('through the description, the message, test names, messages and places, and the log, is shown, never rendered', () => {
    const job = jobReport({
      description: ATTACK,
      message: ATTACK,
      logTail: `${ATTACK}\n\`\`\`\n${ATTACK}\n`,
      tests: testSummary({
        failures: [
          failedTest({ test: ATTACK, message: `${ATTACK}\n\`\`\``, details: ATTACK, file: 'a`b', line: 2 }),
        ],
      }),
    });
    for (const text of outputs(job)) expectInert(text, text.slice(0, 40));
    const [, summary, text] = outputs(job);
    expect(summary).toBe(
      `**&lt;img src=https://evil.example/x.png&gt; @${ZWSP}octocat &lt;/details&gt; &#35; Approved &#124; a &#124; b &#124;** — failed on vfkit in 3.4 s (exit 3).\n` +
        `&lt;img src=https://evil.example/x.png&gt; @${ZWSP}octocat &lt;/details&gt;\n&#35; Approved\n&#124; a &#124; b &#124;\n` +
        'Tests: 1 passed, 1 failed.',
    );
    expect(text).toContain(
      `### &lt;img src=https://evil.example/x.png&gt; @${ZWSP}octocat &lt;/details&gt; &#35; Approved &#124; a &#124; b &#124; (\`a'b:2\`)\n\n\`\`\`text\n`,
    );
    // Two fenced blocks (the failure's and the log's), each opened and closed once.
    expect(text!.match(/```/g)).toHaveLength(4);
  });

  it('and in its annotations as plain text: lines and HTML kept, mentions broken, controls visible', () => {
    const job = jobReport({ message: `${ATTACK}${ESC}[2J`, logTail: '@octocat\n' });
    const [annotation] = jobAnnotations([job], () => ({ file: '.github/vmplan.yml', line: 3 }));
    const sent = checkRunCompletion(job, [annotation!]).annotationBatches.flat();
    expect(sent).toEqual([
      expect.objectContaining({
        message: `<img src=https://evil.example/x.png> @${ZWSP}octocat </details>\n# Approved\n| a | b |␛[2J\n@${ZWSP}octocat`,
      }),
    ]);
  });
});
