// The action's main step run in this process (not as a child): what the runner reads back — GITHUB_OUTPUT, the
// workflow commands on stdout, the step summary — and every request the Checks API fake received. The e2e action
// tests prove the same promises through `node src/main.ts`; these let mutation testing see the report, outputs and
// check-run code, which a child process hides from it. Host jobs only: no VM boots here.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionHarness, makeWorkspace } from '../support/github/action-harness.js';
import { type ApiRequest, FakeGitHubApi } from '../support/github/fake-github-api.js';
import type { WorkflowCommand } from '../support/github/workflow-commands.js';
// Loaded with the file, not by the first test that runs a step: module-level code (constants, schemas) then counts as
// loaded, not as covered by that one test, so mutation testing runs the tests that check those values against them.
import '../../src/action/main-step.js';
import '../../src/action/post-step.js';

let api: FakeGitHubApi;
let apiUrl: string;

beforeAll(async () => {
  api = new FakeGitHubApi();
  apiUrl = await api.start();
});

afterAll(async () => {
  await api?.stop();
});

/** The main step on a workspace with these inputs, against the Checks API at `url` (the shared fake unless told). */
function mainStep(
  root: string,
  inputs: Record<string, string> = {},
  url = apiUrl,
  event: { name: string; payload: unknown } = { name: 'push', payload: {} },
) {
  return new ActionHarness(root, { 'github-token': 'test-token', ...inputs }, {}, event, {
    apiUrl: url,
  }).runMainInProcess();
}

const errors = (commands: WorkflowCommand[]) => commands.filter((c) => c.command === 'error');

/** Every request about the check run `name` on `head`, in the order the fake received them. */
function checkRunRequests(name: string, head: string): ApiRequest[] {
  const run = api.checkRun(name, head);
  expect(run, `check run ${name}`).toBeDefined();
  return api.requests.filter(
    (r) =>
      (r.method === 'POST' && r.body.name === name && r.body.head_sha === head) ||
      (r.method === 'PATCH' && r.path.endsWith(`/check-runs/${run!.id}`)),
  );
}

type SentAnnotation = {
  path: string;
  start_line: number;
  title: string;
  message: string;
  annotation_level: string;
};
const annotationsOf = (request: ApiRequest) =>
  ((request.body.output as { annotations?: SentAnnotation[] } | undefined)?.annotations ??
    []) as SentAnnotation[];

/**
 * The lines of a step's stdout the runner reads with workflow commands on (outside every `::stop-commands::`
 * block), and the tokens of those blocks.
 */
function commandsOnLines(stdout: string): { lines: string[]; tokens: string[] } {
  const lines: string[] = [];
  const tokens: string[] = [];
  let token: string | undefined;
  for (const line of stdout.split('\n')) {
    if (token !== undefined) {
      if (line === `::${token}::`) token = undefined;
      continue;
    }
    const stop = /^::stop-commands::(.*)$/.exec(line);
    if (stop !== null) {
      token = stop[1]!;
      tokens.push(token);
    } else if (line !== '') lines.push(line);
  }
  expect(token, 'every stop-commands block ends').toBeUndefined();
  return { lines, tokens };
}

/**
 * Only vmplan's own commands are read with commands on: everything else it prints quotes what a job controls.
 * Each block of such text was stopped with a fresh, unguessable token.
 */
function expectJobTextStopped(stdout: string): void {
  const { lines, tokens } = commandsOnLines(stdout);
  for (const line of lines) expect(line).toMatch(/^::(warning|error|group|endgroup)[ :]/);
  expect(tokens.length).toBeGreaterThan(0);
  for (const token of tokens) expect(token).toMatch(/^[0-9a-f]{32}$/);
  expect(new Set(tokens).size).toBe(tokens.length);
}

describe('jobs that did not pass', () => {
  it('count as not passed in the outputs, fail the step, are annotated on their definitions and conclude their check runs', async () => {
    // quick passes; hangs and slow start after it; hangs times out (0.02 minutes: 1.2 s), fail-fast cancels
    // slow; after needs hangs and is skipped.
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  quick: { run: echo quick }
  hangs: { run: sleep 60, timeout-minutes: 0.02, needs: quick }
  slow: { run: sleep 60, needs: quick }
  after: { run: echo never, needs: hangs }
`,
    });
    const main = await mainStep(workspace.root, { 'max-parallel': '4' });
    expect(main.code, main.stdout).toBe(1);

    // What a later job reads from GITHUB_OUTPUT: only the job that passed counts as passed.
    expect(main.outputs).toMatchObject({ status: 'failed', passed: '1', failed: '3' });
    const results = JSON.parse(main.outputs.results!) as Record<
      string,
      { status: string; durationMs: number | null; exitCode: number | null }
    >;
    expect(Object.keys(results)).toEqual(['quick', 'hangs', 'slow', 'after']);
    expect(results.quick).toMatchObject({ status: 'passed', exitCode: 0 });
    expect(results.quick!.durationMs).toBeGreaterThan(0);
    expect(results.hangs).toMatchObject({ status: 'timed_out', exitCode: null });
    expect(results.slow).toMatchObject({ status: 'cancelled', exitCode: null });
    expect(results.after).toEqual({ status: 'skipped', durationMs: null, exitCode: null });

    // The timed-out job's annotation on its definition, then the step's own failure naming each job.
    const [annotation, failure, ...more] = errors(main.commands);
    expect(more).toEqual([]);
    expect(annotation).toMatchObject({
      properties: { title: 'vmplan: hangs timed out', file: '.github/vmplan.yml', line: '5' },
    });
    expect(annotation!.message).toMatch(
      /^timed out after 0\.02 minute\(s\); stopped\n(.*\n)*vmplan: timed_out: timed out after 0\.02 minute\(s\); stopped$/,
    );
    expect(failure).toEqual({
      command: 'error',
      properties: {},
      message: 'vmplan: 3 job(s) did not pass: hangs (timed out), slow (cancelled), after (skipped)',
    });

    // One check run per job on the commit, each concluded as its job ended.
    const conclusions = Object.fromEntries(
      ['quick', 'hangs', 'slow', 'after'].map((job) => {
        const run = api.checkRun(`vmplan / ${job}`, workspace.head)!;
        return [job, `${run.status} ${run.conclusion}`];
      }),
    );
    expect(conclusions).toEqual({
      quick: 'completed success',
      hangs: 'completed timed_out',
      slow: 'completed cancelled',
      after: 'completed skipped',
    });
    // A job that ran is in progress first; one that never started gets a completed run at once.
    const hangs = checkRunRequests('vmplan / hangs', workspace.head);
    expect(hangs.map((r) => r.method)).toEqual(['POST', 'PATCH']);
    expect(hangs[0]!.body).toMatchObject({
      status: 'in_progress',
      output: { title: 'hangs: running', summary: 'vmplan is running `hangs`.' },
    });
    expect(checkRunRequests('vmplan / after', workspace.head).map((r) => r.body.status)).toEqual([
      'completed',
    ]);
    expect(api.checkRun('vmplan / hangs', workspace.head)!.annotations).toEqual([
      {
        path: '.github/vmplan.yml',
        start_line: 5,
        end_line: 5,
        annotation_level: 'failure',
        message: annotation!.message,
        title: 'vmplan: hangs timed out',
      },
    ]);
    for (const job of ['quick', 'slow', 'after'])
      expect(api.checkRun(`vmplan / ${job}`, workspace.head)!.annotations, job).toEqual([]);
    expect(api.rejected).toEqual([]);

    // The summary: counts in the title, a row per job, the jobs not run with why, the timed-out job's log.
    const summary = main.summary.split('\n');
    expect(summary[0]).toBe('## vmplan run: failed — 1 passed, 1 timed out, 1 cancelled, 1 skipped');
    const rows = summary.filter((line) => /^\| [^-s]/.test(line));
    expect(rows.map((row) => row.replace(/\| [\d.]+ s \|/, '| T |'))).toEqual([
      '| ✅ passed | `quick` | T | 0 | host |  |',
      '| ⏱️ timed out | `hangs` | T | – | host |  |',
      '| ⊘ cancelled | `slow` | T | – | host |  |',
      '| ↷ skipped | `after` | – | – | host |  |',
    ]);
    expect(main.summary).toContain(
      '**Not run:**\n- `slow` cancelled: fail-fast after "hangs" timed out\n- `after` skipped: needs "hangs", which timed out\n',
    );
    expect(main.summary).toContain(
      '<details><summary>❌ <code>hangs</code> timed out: timed out after 0.02 minute(s); stopped</summary>',
    );
    expect(main.summary).not.toContain('<code>slow</code>');

    // Job output, and vmplan's lines quoting it, only ever inside stop-commands blocks.
    expectJobTextStopped(main.stdout);
    expect(main.stdout).toContain('[quick] quick\n');
  });
});

describe('a job with many diagnostics', () => {
  it('puts each in its check run once, 50 per request, and the most useful ten in the log; its output commands nothing', async () => {
    const diagnostics = Array.from(
      { length: 120 },
      (_, i) => `echo "src/f${i % 4}.c:${i + 1}:1: error: problem ${i}"`,
    );
    const long = 'x'.repeat(5000);
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  noisy:
    run: |
      ${diagnostics.join('\n      ')}
      echo '::error title=pwned::from the job'
      echo '##[error]legacy from the job'
      echo '::set-output name=status::passed'
      echo '::add-mask::quick'
      echo ${long}
      exit 3
`,
      ...Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`src/f${i}.c`, 'x\n'.repeat(200)])),
    });
    const main = await mainStep(workspace.root);
    expect(main.code).toBe(1);
    expect(main.outputs).toMatchObject({ status: 'failed', passed: '0', failed: '1' });

    // The check run: created in progress, completed with the first 50 annotations, then two updates adding the rest.
    const requests = checkRunRequests('vmplan / noisy', workspace.head);
    const sent = requests.map(annotationsOf);
    expect(requests.map((r) => r.method)).toEqual(['POST', 'PATCH', 'PATCH', 'PATCH']);
    expect(sent.map((batch) => batch.length)).toEqual([0, 50, 50, 21]);
    expect(requests[1]!.body).toMatchObject({ status: 'completed', conclusion: 'failure' });
    const completed = requests[1]!.body.output as { title: string; summary: string };
    expect(completed.title).toMatch(/^noisy: failed \(exit 3\) in /);
    expect(completed.summary).toMatch(/\n121 annotation\(s\)\.$/);
    // The appending updates repeat title and summary (the API wants them) and change nothing else.
    for (const update of requests.slice(2)) {
      expect(Object.keys(update.body)).toEqual(['output']);
      expect(update.body.output).toMatchObject({ title: completed.title, summary: completed.summary });
    }
    const keys = sent.flat().map((a) => `${a.path}:${a.start_line}:${a.title}`);
    expect(new Set(keys).size).toBe(121);
    expect(keys[0]).toBe('.github/vmplan.yml:4:vmplan: noisy failed (exit 3)');
    expect(keys.slice(1)).toEqual(
      Array.from({ length: 120 }, (_, i) => `src/f${i % 4}.c:${i + 1}:gcc: error (noisy)`),
    );
    expect(api.checkRun('vmplan / noisy', workspace.head)!.annotations).toHaveLength(121);
    expect(api.rejected).toEqual([]);

    // The log: the job's failure, the first eight diagnostics, the step's failure — the runner keeps ten errors.
    const logged = errors(main.commands);
    expect(logged.map((c) => c.properties.title ?? '')).toEqual([
      'vmplan: noisy failed (exit 3)',
      ...Array.from({ length: 8 }, () => 'gcc: error (noisy)'),
      '',
    ]);
    expect(
      logged.slice(1, 9).map((c) => `${c.properties.file}:${c.properties.line}:${c.properties.col}`),
    ).toEqual(Array.from({ length: 8 }, (_, i) => `src/f${i % 4}.c:${i + 1}:1`));
    // The job's annotation ends with the last lines of its log; the runner keeps 4096 characters of it.
    expect(logged[0]!.message).toHaveLength(4096);
    expect(logged[0]!.message).toMatch(
      /xxxx\n… \(truncated; the full text is in the check run and the logs artifact\)$/,
    );
    expect(sent[1]![0]!.message).toContain(`\n${long}`);
    expect(logged.at(-1)!.message).toBe('vmplan: 1 job(s) did not pass: noisy (failed)');

    // What the job printed is in the log, never obeyed.
    for (const text of ['::error title=pwned::from the job', '##[error]legacy from the job'])
      expect(main.stdout).toContain(text);
    // (The job's annotation quotes those lines as its message: that is text, escaped by @actions/core.)
    expect(main.commands.filter((c) => c.properties.title === 'pwned' || /^legacy/.test(c.message))).toEqual(
      [],
    );
    expect(
      main.commands
        .map((c) => c.command)
        .filter((c) => !['error', 'warning', 'group', 'endgroup'].includes(c)),
    ).toEqual([]);
    expect(main.outputs.status).toBe('failed');
    expectJobTextStopped(main.stdout);
  });
});

/** What an attacker wants rendered: an image that calls home, a mention, a closed details block, a heading, a row. */
const MARKDOWN_ATTACK = '<img src=https://evil.example/x.png> @octocat </details>\n# Approved\n| a | b |';

/** The raw forms that must not reach GitHub's Markdown (fenced blocks left out: nothing renders there). */
function expectInert(markdown: string): void {
  const text = markdown.replace(/```[a-z]*\n[\s\S]*?\n```/g, '');
  expect(text).not.toContain('<img');
  expect(text).not.toMatch(/@octocat/);
  expect(text).not.toContain('</details>\n# Approved');
  expect(text).not.toMatch(/^# Approved/m);
  expect(text).not.toContain('| a | b |');
}

describe("job text in GitHub's Markdown", () => {
  it('is escaped in the summary and the check run, and plain text in annotations', async () => {
    const junit = `<testsuite name="s"><testcase classname="c" name="&lt;img src=https://evil.example/t.png&gt; @octocat | x" file="src/app.js" line="1"><failure message="&lt;/details&gt;&#10;# Approved @octocat &lt;img src=x&gt;">at src/app.js:1</failure></testcase><testcase classname="c" name="fine"/></testsuite>`;
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  hostile:
    description: ${JSON.stringify(MARKDOWN_ATTACK)}
    run: |
      cat > junit.xml <<'XML'
      ${junit}
      XML
      echo '@octocat <img src=x> \`\`\` # Approved'
      exit 1
    reports: { junit: [junit.xml] }
`,
      'src/app.js': 'module.exports = 1;\n',
    });
    const main = await mainStep(workspace.root, { 'upload-logs': 'never' });
    expect(main.code).toBe(1);

    // The summary names the failed test, escaped, in its table; the log stays in its fence.
    expectInert(main.summary);
    expect(main.summary).toContain(
      '| `hostile` | c › &lt;img src=https://evil.example/t.png&gt; @\u200boctocat &#124; x | &lt;/details&gt; | `src/app.js:1` |',
    );
    expect(main.summary).toContain("\n@octocat <img src=x> ''' # Approved\n");
    expect(main.summary.match(/```/g)).toHaveLength(4);

    // Every check-run request: the title, summary and text escaped; the annotations plain, mentions broken.
    const requests = checkRunRequests('vmplan / hostile', workspace.head);
    const outputs = requests.map((r) => r.body.output as { title: string; summary: string; text?: string });
    for (const output of outputs)
      for (const text of [output.title, output.summary, output.text ?? '']) expectInert(text);
    const completed = outputs[1]!;
    expect(completed.summary).toMatch(
      /^\*\*&lt;img src=https:\/\/evil\.example\/x\.png&gt; @\u200boctocat &lt;\/details&gt; &#35; Approved &#124; a &#124; b &#124;\*\* — failed on host in /,
    );
    expect(completed.text).toContain(
      '### c › &lt;img src=https://evil.example/t.png&gt; @\u200boctocat &#124; x (`src/app.js:1`)\n',
    );
    const annotations = requests.flatMap(annotationsOf);
    const test = annotations.find((a) => a.path === 'src/app.js')!;
    expect(test.title).toContain('<img src=https://evil.example/t.png> @\u200boctocat | x');
    expect(test.message).toContain('</details>\n# Approved @\u200boctocat <img src=x>');
    expect(JSON.stringify(annotations)).not.toMatch(/@octocat/);
    // In the log too: the annotations are commands, shown as plain text.
    expect(JSON.stringify(errors(main.commands))).not.toMatch(/@octocat/);
  });
});

describe('check runs that cannot be written', () => {
  it('are turned off with one warning: the step ends as the jobs did, with summary and annotations', async () => {
    const forbidden = new FakeGitHubApi();
    forbidden.forbid = true;
    const url = await forbidden.start();
    try {
      const workspace = makeWorkspace({
        '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  a: { run: echo a }
  b: { run: echo b }
  c: { run: exit 2 }
`,
      });
      const main = await mainStep(workspace.root, { 'fail-fast': 'false' }, url);
      expect(main.code).toBe(1);
      expect(main.outputs).toMatchObject({ status: 'failed', passed: '2', failed: '1' });
      const warnings = main.commands.filter((c) => c.command === 'warning').map((c) => c.message);
      expect(warnings.filter((w) => w.includes('check run'))).toEqual([
        'check runs are off: the token cannot write checks (403, e.g. a pull request from a fork); results are in the job summary and annotations. Grant "checks: write" to get one check run per job.',
      ]);
      expect(errors(main.commands).map((c) => c.properties.title)).toEqual([
        'vmplan: c failed (exit 2)',
        undefined,
      ]);
      expect(main.summary).toContain('| ❌ failed | `c` |');
    } finally {
      await forbidden.stop();
    }
  });

  it('are not asked for on a pull request from a fork in auto mode (its token is read-only), with a notice', async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': 'version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: echo a }\n',
    });
    const payload = {
      pull_request: {
        head: { sha: workspace.head, ref: 'feature', repo: { full_name: 'someone/widgets' } },
        base: { sha: 'e'.repeat(40), repo: { full_name: 'acme/widgets' } },
      },
    };
    const before = api.requests.length;
    const main = await mainStep(workspace.root, { trust: 'trusted' }, apiUrl, {
      name: 'pull_request',
      payload,
    });
    expect(main.code, main.stdout).toBe(0);
    expect(api.requests.length).toBe(before);
    expect(main.commands.filter((c) => c.command === 'notice').map((c) => c.message)).toContain(
      'Check runs are off: a pull request from a fork gets a read-only token (results are in the summary and annotations).',
    );
  });

  it('say what is missing when asked for without a token', async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': 'version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: echo a }\n',
    });
    const before = api.requests.length;
    const main = await mainStep(workspace.root, { 'check-runs': 'true', 'github-token': '' });
    expect(main.code).toBe(0);
    expect(api.requests.length).toBe(before);
    expect(main.commands.filter((c) => c.command === 'warning').map((c) => c.message)).toContain(
      'check runs are off: the github-token input missing',
    );
  });

  it('are not asked for with check-runs: false', async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': 'version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: echo a }\n',
    });
    const before = api.requests.length;
    const main = await mainStep(workspace.root, { 'check-runs': 'false' });
    expect(main.code).toBe(0);
    expect(main.outputs).toMatchObject({ status: 'passed', passed: '1', failed: '0' });
    expect(api.requests.length).toBe(before);
    expect(errors(main.commands)).toEqual([]);
  });
});

describe('a matrix job', () => {
  it("gets a check run per variant under the variant's name from the start, and a row and result each", async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  test:
    matrix: { n: [1, 2] }
    run: test \${{ matrix.n }} = 1
`,
    });
    const main = await mainStep(workspace.root, { 'fail-fast': 'false' });
    expect(main.code).toBe(1);
    expect(main.outputs).toMatchObject({ status: 'failed', passed: '1', failed: '1' });
    expect(Object.keys(JSON.parse(main.outputs.results!))).toEqual(['test-n-1', 'test-n-2']);
    for (const [n, conclusion] of [
      [1, 'success'],
      [2, 'failure'],
    ] as const) {
      const name = `vmplan / test (n ${n})`;
      const requests = checkRunRequests(name, workspace.head);
      expect(requests.map((r) => `${r.method} ${r.body.name ?? ''} ${r.body.status}`)).toEqual([
        `POST ${name} in_progress`,
        `PATCH ${name} completed`,
      ]);
      expect(api.checkRun(name, workspace.head)!.conclusion).toBe(conclusion);
    }
    expect(main.summary).toContain('| ✅ passed | `test-n-1` test (n 1) |');
    expect(main.summary).toContain('| ❌ failed | `test-n-2` test (n 2) |');
    expect(errors(main.commands)[0]!.properties.title).toBe('vmplan: test-n-2 failed (exit 1)');
  });
});

describe('the post step', () => {
  it('completes as cancelled the check runs the main step left in progress, and only those', async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml':
        'version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: echo a }\n  b: { run: echo b }\n',
    });
    const harness = new ActionHarness(
      workspace.root,
      { 'github-token': 'test-token' },
      {},
      { name: 'push', payload: {} },
      { apiUrl },
    );
    const main = await harness.runInProcess('main');
    expect(main.code).toBe(0);
    // As if the main step had been killed before it completed b's check run.
    const index = main.state['checks-file']!;
    const checks = JSON.parse(readFileSync(index, 'utf8')) as Record<
      string,
      { id: number; completed: boolean }
    >;
    expect(Object.values(checks).map((entry) => entry.completed)).toEqual([true, true]);
    writeFileSync(index, JSON.stringify({ ...checks, b: { ...checks.b!, completed: false } }));
    const before = api.requests.length;

    const post = await harness.runInProcess('post', main.state);
    expect(post.code).toBe(0);
    expect(api.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
      `PATCH /repos/acme/widgets/check-runs/${checks.b!.id}`,
    ]);
    expect(api.checkRun('vmplan / b', workspace.head)).toMatchObject({
      status: 'completed',
      conclusion: 'cancelled',
      output: { title: 'b: cancelled', summary: 'The workflow was cancelled before this job finished.' },
    });
    expect(api.checkRun('vmplan / a', workspace.head)).toMatchObject({ conclusion: 'success' });
    expect(post.stdout).toContain('ended passed; nothing left running');
    expect(post.stdout).toContain('vmplan: completed 1 check run(s) left in progress as cancelled');
    expect(post.commands).toEqual([]);
  });
});
