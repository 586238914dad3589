// Hostile case (issue 28, class 8): bytes a job controls reached the terminal and GitHub's Markdown raw. OSC 0/8/52
// (title, hyperlink, clipboard) and clear-screen sequences from job output acted on the terminal through `vmplan
// run` and `vmplan logs`; a forged result message, JUnit names and a description put <img>, @mentions,
// </details> and headings into the step summary and check runs. Now controls are made visible on the way to a
// terminal (SGR colours kept) and job text is escaped in Markdown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobAnnotations } from '../../src/report/annotations.js';
import { checkRunCompletion } from '../../src/report/check-runs.js';
import type { JobReport, RunReport } from '../../src/report/model.js';
import { buildSummary } from '../../src/report/summary.js';
import { runVmplan } from '../support/cli.js';
import { ActionHarness, makeWorkspace } from '../support/github/action-harness.js';
import { type GitHubServices, startGitHubServices } from '../support/github/services.js';
import { testProject } from '../support/project.js';

const ESC = '\x1b';
/** Sequences that act on a terminal: title, hyperlink, clipboard, clear screen, cursor home, a C1 CSI, bell. */
const TERMINAL_ATTACK = String.raw`\033]0;pwned-title\007\033]8;;https://evil.example/\033\\click\033]8;;\033\\\033]52;c;ZXZpbA==\007\033[2J\033[H\302\2332J\007`;

/** ESC bytes that are not the start of an SGR sequence (the one kind of sequence allowed through). */
function nonSgrEscapes(text: string): string[] {
  return [...text.matchAll(new RegExp(`${ESC}(?!\\[[0-9;:]*m).`, 'gs'))].map((match) =>
    JSON.stringify(match[0]),
  );
}

describe('job output on a terminal', () => {
  it('vmplan run and vmplan logs write no OSC, CSI or C1 sequence a job printed; SGR colours stay', async () => {
    // Block scalars: YAML leaves backslashes alone there, and printf turns the octal escapes into bytes.
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  loud:
    run: |
      printf '${TERMINAL_ATTACK}'
      printf '\\033[31mred\\033[0m\\n'
  quiet:
    run: |
      printf 'plain ${TERMINAL_ATTACK} end\\n'
`);
    const run = await runVmplan(['run', '--state-dir', `${project.root}/.state`], {
      cwd: project.root,
      env: { FORCE_COLOR: '0' },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('␛]52;c;ZXZpbA==␇');
    expect(nonSgrEscapes(run.stdout)).toEqual([]);
    expect(run.stdout).toContain(`${ESC}[31mred${ESC}[0m`);
    expect(run.stdout).not.toContain('\u009b');

    const logs = await runVmplan(['logs', '--state-dir', `${project.root}/.state`, 'latest', 'quiet'], {
      cwd: project.root,
    });
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('plain ␛]0;pwned-title␇');
    expect(logs.stdout).not.toContain(ESC);
    expect(logs.stdout).not.toContain('\u009b');
    expect(logs.stdout).not.toContain('\x07');
  });
});

/** What an attacker wants rendered: an image that calls home, a mention, a closed details block, a heading. */
const MARKDOWN_ATTACK = '<img src=https://evil.example/x.png> @octocat </details>\n# Approved\n| a | b |';

/**
 * The raw forms that must not reach GitHub's Markdown. Fenced code blocks are left out: GitHub renders nothing in
 * them (the fences themselves are checked: none closes early).
 */
function expectInert(markdown: string): void {
  const text = markdown.replace(/```[a-z]*\n[\s\S]*?\n```/g, '');
  expect(text).not.toContain('<img');
  expect(text).not.toMatch(/@octocat/);
  expect(text).not.toContain('</details>\n# Approved');
  expect(text).not.toMatch(/^# Approved/m);
  expect(text).not.toContain(ESC);
}

/** The Markdown of every check-run request: title, summary and text (annotations are plain text, checked apart). */
function checkRunMarkdown(requests: { body?: unknown }[]): string[] {
  return requests.flatMap((request) => {
    const output = (request.body as { output?: { title?: string; summary?: string; text?: string } })?.output;
    return output === undefined ? [] : [output.title ?? '', output.summary ?? '', output.text ?? ''];
  });
}

/** Annotations are shown as plain text: mentions broken, no control bytes. */
function expectPlain(annotations: unknown): void {
  const json = JSON.stringify(annotations);
  expect(json).not.toMatch(/@octocat/);
  expect(json).not.toContain('\\u001b');
}

describe('job text in GitHub Markdown', () => {
  let services: GitHubServices;
  beforeAll(async () => {
    services = await startGitHubServices();
  }, 60_000);
  afterAll(async () => {
    await services?.stop();
  });

  it('a JUnit report and a description of the jobs file reach the summary and check runs escaped', async () => {
    const junit = `<testsuite name="s"><testcase classname="c" name="&lt;img src=https://evil.example/t.png&gt; @octocat" file="src/app.js" line="1"><failure message="&lt;/details&gt;&#10;# Approved @octocat &lt;img src=x&gt;">${'\x1b'}]52;c;ZXZpbA==</failure></testcase></testsuite>`;
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  hostile:
    description: ${JSON.stringify(MARKDOWN_ATTACK)}
    run: |
      cat > junit.xml <<'XML'
      ${junit.replace('\x1b', '&#27;')}
      XML
      echo '@octocat <img src=x>'
      exit 1
    reports: { junit: [junit.xml] }
`,
      'src/app.js': 'module.exports = 1;\n',
    });
    const harness = new ActionHarness(
      workspace.root,
      { 'github-token': 'test-token', 'check-runs': 'true', 'upload-logs': 'never' },
      {},
      { name: 'push', payload: {} },
      { apiUrl: services.apiUrl },
    );
    const main = await harness.start('main').done;
    expect(main.code).toBe(1);
    const markdown = checkRunMarkdown(services.api.requests);
    // The job ran and its report was read: the test is in the check run, escaped.
    expect(markdown.join('\n')).toContain('&lt;img src=https://evil.example/t.png&gt; @\u200boctocat');
    for (const text of markdown) expectInert(text);
    expectInert(main.summary);
    expect(main.summary).toContain('&lt;img');
    expectPlain(
      services.api.requests.map(
        (request) => (request.body as { output?: { annotations?: unknown } })?.output?.annotations,
      ),
    );
  });

  it('a forged result message becomes text in the summary, the check run and the annotations', () => {
    const job: JobReport = {
      job: 'forged',
      description: MARKDOWN_ATTACK,
      executor: 'qemu',
      status: 'failed',
      durationMs: 1000,
      exitCode: 1,
      message: `${MARKDOWN_ATTACK}\n\`\`\`\n${ESC}]52;c;ZXZpbA==${ESC}\\`,
      logTail: `${MARKDOWN_ATTACK}\n\`\`\`\n# Approved\n`,
      logTruncated: false,
      tests: null,
      attempts: [],
      flaky: false,
      earlier: null,
    };
    const report = {
      plan: {
        planId: 'a'.repeat(64),
        nodes: [],
        stages: [],
        excluded: [],
        scope: { changes: { known: true } },
      },
      jobs: [job],
      links: {},
    } as unknown as RunReport;
    const summary = buildSummary(report);
    expectInert(summary);
    // The log tail stays in its fence: no fence inside it closes it early.
    expect(summary.match(/```/g)).toHaveLength(2);
    const annotations = jobAnnotations([job], () => ({ file: '.github/vmplan.yml', line: 3 }));
    const completion = checkRunCompletion(job, annotations);
    for (const text of [completion.output.title, completion.output.summary, completion.output.text ?? ''])
      expectInert(text);
    expectPlain(annotations);
    expectPlain(completion.annotationBatches);
  });
});
