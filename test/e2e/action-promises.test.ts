// The action's promises that only show from outside (README, "The GitHub Action" and "How a run behaves"): what the
// runner reads back (GITHUB_OUTPUT, workflow commands, the step summary) and what the fake GitHub API received.
// Each test here was written against a bug seeded into src/ that every other test let through; it fails with it.
// Host jobs only: no VM boots here.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionHarness, makeWorkspace } from '../support/github/action-harness.js';
import { type GitHubServices, startGitHubServices } from '../support/github/services.js';
import { TwirpArtifacts } from '../support/github/twirp-artifacts.js';
import type { WorkflowCommand } from '../support/github/workflow-commands.js';

let github: GitHubServices;
let nextRun = 7000;

beforeAll(async () => {
  github = await startGitHubServices();
});

afterAll(async () => {
  await github?.stop();
});

/** The action's main step in a new simulated workflow run (its own artifact namespace): the harness and the run. */
function step(
  root: string,
  inputs: Record<string, string>,
  event: { name: string; payload: unknown } = { name: 'push', payload: {} },
) {
  const backendRun = `run-${nextRun++}`;
  const harness = new ActionHarness(root, { 'github-token': 'test-token', ...inputs }, {}, event, {
    resultsUrl: github.resultsUrl,
    apiUrl: github.apiUrl,
    runtimeToken: TwirpArtifacts.token(backendRun, `job-${backendRun}`),
  });
  return { harness, backendRun };
}

const errors = (commands: WorkflowCommand[]) => commands.filter((c) => c.command === 'error');

describe('outputs and annotations of jobs that did not pass', () => {
  it('counts timed-out, cancelled and skipped jobs as not passed, and annotates the timed-out job on its definition', async () => {
    // quick passes; hangs and slow start together after it; hangs times out (0.02 minutes: 1.2 s), fail-fast
    // cancels slow; after needs hangs and is skipped.
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
    const { harness } = step(workspace.root, { 'max-parallel': '4' });
    const main = await harness.start('main').done;
    expect(main.code, main.stdout).toBe(1);
    const results = JSON.parse(main.outputs.results!) as Record<string, { status: string }>;
    expect(Object.fromEntries(Object.entries(results).map(([job, result]) => [job, result.status]))).toEqual({
      quick: 'passed',
      hangs: 'timed_out',
      slow: 'cancelled',
      after: 'skipped',
    });
    // What a later job reads from GITHUB_OUTPUT: only the job that passed counts as passed.
    expect(main.outputs).toMatchObject({ status: 'failed', passed: '1', failed: '3' });
    const failure = errors(main.commands).at(-1)!.message;
    expect(failure).toMatch(/^vmplan: 3 job\(s\) did not pass: /);
    for (const part of ['hangs (timed out)', 'slow (cancelled)', 'after (skipped)'])
      expect(failure).toContain(part);

    // The timed-out job's failure annotation, on its definition in the jobs file, in the log and in its check run.
    const annotation = errors(main.commands).find((c) => c.properties.title === 'vmplan: hangs timed out');
    expect(annotation?.properties).toMatchObject({ file: '.github/vmplan.yml', line: '5' });
    expect(annotation?.message).toMatch(/^timed out after 0\.02 minute\(s\)/);
    const check = github.api.checkRun('vmplan / hangs', workspace.head)!;
    expect(check).toMatchObject({ status: 'completed', conclusion: 'timed_out' });
    expect(check.annotations).toEqual([
      expect.objectContaining({
        path: '.github/vmplan.yml',
        start_line: 5,
        annotation_level: 'failure',
        title: 'vmplan: hangs timed out',
      }),
    ]);
    expect(github.api.rejected).toEqual([]);
  });
});

describe('check-run annotations', () => {
  it('sends each of 120 annotations once, in requests of at most 50, with the first 50 in the completing request', async () => {
    const lines = Array.from(
      { length: 120 },
      (_, i) => `echo "src/f${i % 4}.c:${i + 1}:1: error: problem ${i}"`,
    );
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  noisy:
    run: |
      ${lines.join('\n      ')}
      exit 1
`,
      ...Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`src/f${i}.c`, 'x\n'.repeat(200)])),
    });
    const before = github.api.requests.length;
    const { harness } = step(workspace.root, {});
    const main = await harness.start('main').done;
    expect(main.code).toBe(1);
    const checkRun = github.api.checkRun('vmplan / noisy', workspace.head)!;
    // Every request about this check run, in the order the API received them.
    const requests = github.api.requests
      .slice(before)
      .filter(
        (r) =>
          (r.method === 'POST' && r.body.name === 'vmplan / noisy') ||
          (r.method === 'PATCH' && r.path.endsWith(`/check-runs/${checkRun.id}`)),
      );
    type Sent = { path: string; start_line: number; title: string };
    const sent = requests.map(
      (r) => ((r.body.output as { annotations?: Sent[] })?.annotations ?? []) as Sent[],
    );
    // The run is created in progress without annotations, completed with the first 50, then two appending updates.
    expect(requests.map((r) => r.method)).toEqual(['POST', 'PATCH', 'PATCH', 'PATCH']);
    expect(sent.map((batch) => batch.length)).toEqual([0, 50, 50, 21]);
    expect(requests[0]!.body).toMatchObject({ status: 'in_progress', head_sha: workspace.head });
    expect(requests[1]!.body).toMatchObject({ status: 'completed', conclusion: 'failure' });
    const keys = sent.flat().map((a) => `${a.path}:${a.start_line}:${a.title}`);
    expect(new Set(keys).size).toBe(keys.length);
    // The job's failure and each diagnostic line of its log, once.
    expect(keys).toContain('.github/vmplan.yml:4:vmplan: noisy failed (exit 1)');
    for (let i = 0; i < 120; i++) expect(keys).toContain(`src/f${i % 4}.c:${i + 1}:gcc: error (noisy)`);
    expect(checkRun.annotations).toHaveLength(121);
    expect(github.api.rejected).toEqual([]);
  });
});

describe('the job summary', () => {
  it("links each job's logs to the logs artifact uploaded before the summary was written", async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  build: { run: echo building }
  unit: { run: echo testing, needs: build }
`,
    });
    const { harness, backendRun } = step(workspace.root, { 'check-runs': 'false', 'upload-logs': 'always' });
    const main = await harness.start('main').done;
    expect(main.code, main.stdout).toBe(0);
    const logs = github.twirp.artifacts.filter(
      (a) => a.runBackendId === backendRun && a.name.startsWith('vmplan-logs-'),
    );
    expect(logs.map((a) => a.finalized)).toEqual([true]);
    const link = `[logs](https://github.com/acme/widgets/actions/runs/4242/artifacts/${logs[0]!.id})`;
    for (const job of ['build', 'unit'])
      expect(main.summary).toMatch(
        new RegExp(`^\\| ✅ passed \\| \`${job}\` \\| .* \\| ${literally(link)} \\|$`, 'm'),
      );
  });
});

describe('upload-logs', () => {
  it('failure uploads the logs artifact only when a job did not pass, never uploads none; results.json always', async () => {
    const jobsFile = (run: string) =>
      `version: 1\ndefaults: { executor: host }\njobs:\n  one: { run: ${run} }\n`;
    const passing = makeWorkspace({ '.github/vmplan.yml': jobsFile('echo fine') });
    const failing = makeWorkspace({ '.github/vmplan.yml': jobsFile('exit 1') });
    for (const [workspace, policy, logs] of [
      [passing, 'failure', false],
      [failing, 'failure', true],
      [failing, 'never', false],
    ] as const) {
      const { harness, backendRun } = step(workspace.root, { 'check-runs': 'false', 'upload-logs': policy });
      const main = await harness.start('main').done;
      expect(main.code, main.stdout).toBe(workspace === passing ? 0 : 1);
      const uploaded = github.twirp.artifacts
        .filter((a) => a.runBackendId === backendRun && a.finalized)
        .map((a) => a.name.split('-')[1]);
      expect(uploaded.sort(), `${policy}, ${workspace === passing ? 'passed' : 'failed'}`).toEqual(
        logs ? ['logs', 'plan', 'results'] : ['plan', 'results'],
      );
      expect(main.summary.includes('[logs](')).toBe(logs);
    }
  });
});

describe('live logs', () => {
  /** The step's stdout from the line `from` to the first `to` after it (both excluded). */
  const between = (stdout: string, from: string, to: string) => {
    const lines = stdout.split('\n');
    const start = lines.indexOf(from);
    expect(start, `${from} in the log`).toBeGreaterThanOrEqual(0);
    const end = lines.indexOf(to, start + 1);
    expect(end, `${to} after ${from}`).toBeGreaterThan(start);
    return lines.slice(start + 1, end).join('\n');
  };
  const groups = (commands: WorkflowCommand[]) =>
    commands
      .filter((c) => c.command === 'group' || c.command === 'endgroup')
      .map((c) => (c.command === 'group' ? c.message : '(end)'));

  it("puts a lone job's output in its own group", async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml':
        'version: 1\ndefaults: { executor: host }\njobs:\n  solo: { run: echo "from solo" }\n',
    });
    const { harness } = step(workspace.root, { 'check-runs': 'false' });
    const main = await harness.start('main').done;
    expect(main.code, main.stdout).toBe(0);
    expect(groups(main.commands)).toEqual(['▶ solo (host)', '(end)']);
    expect(between(main.stdout, '::group::▶ solo (host)', '::endgroup::')).toMatch(/^from solo$/m);
  });

  it('prefixes the output of jobs side by side with their id, and replays each in a group of its own as it ends', async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  alpha: { run: echo "from alpha" }
  beta: { run: echo "from beta" }
`,
    });
    const { harness } = step(workspace.root, { 'check-runs': 'false', 'max-parallel': '2' });
    const main = await harness.start('main').done;
    expect(main.code, main.stdout).toBe(0);
    for (const job of ['alpha', 'beta']) {
      // Live, prefixed, as text (never a command).
      expect(main.stdout).toMatch(new RegExp(`^\\[${job}\\] from ${job}$`, 'm'));
      expect(groups(main.commands)).toContain(`${job}: end of its log`);
      const replayed = between(main.stdout, `::group::${job}: end of its log`, '::endgroup::');
      expect(replayed).toMatch(new RegExp(`^from ${job}$`, 'm'));
      expect(replayed).not.toContain(job === 'alpha' ? 'from beta' : 'from alpha');
    }
    expect(groups(main.commands).filter((g) => g === '(end)')).toHaveLength(2);
  });
});

describe('paths filters on a pull request', () => {
  it('count only what the pull request changed since it forked, not what its base gained after', async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  c-tests: { run: echo c, paths: [src/**] }
  docs: { run: echo docs, paths: [docs/**] }
`,
      'src/app.c': 'int main(void) { return 0; }\n',
      'docs/index.md': '# docs\n',
    });
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: workspace.root, encoding: 'utf8' }).trim();
    // The pull request forks from the first commit and changes src/ only.
    git('checkout', '-q', '-b', 'feature');
    execFileSync('sh', ['-c', 'echo "/* faster */" >> src/app.c'], { cwd: workspace.root });
    git('commit', '-q', '-am', 'change src');
    const head = git('rev-parse', 'HEAD');
    // Meanwhile the base branch moves on: a change to docs/ that the pull request never made.
    git('checkout', '-q', 'main');
    execFileSync('sh', ['-c', 'echo "more" >> docs/index.md'], { cwd: workspace.root });
    git('commit', '-q', '-am', 'docs on main');
    const base = git('rev-parse', 'HEAD');
    // The checkout is GitHub's merge commit of the head into the base as it is now.
    git('merge', '-q', '--no-ff', '-m', 'merge', 'feature');
    expect(git('diff', '--name-only', `${base}..${head}`).split('\n').sort()).toEqual([
      'docs/index.md',
      'src/app.c',
    ]);
    const payload = {
      pull_request: {
        head: { sha: head, ref: 'feature', repo: { full_name: 'acme/widgets' } },
        base: { sha: base, repo: { full_name: 'acme/widgets' } },
      },
    };
    const { harness } = step(workspace.root, { 'check-runs': 'false' }, { name: 'pull_request', payload });
    const main = await harness.start('main').done;
    expect(main.code, main.stdout).toBe(0);
    const plan = JSON.parse(readFileSync(main.outputs['plan-path']!, 'utf8'));
    expect(plan.scope.changes).toEqual({
      known: true,
      source: `git diff ${base}...${head}`,
      files: ['src/app.c'],
    });
    expect(Object.keys(JSON.parse(main.outputs.results!))).toEqual(['c-tests']);
    expect(main.summary).toContain('- `docs`: no changed file matches paths (docs/**); 1 file(s) changed');
  });
});

describe('test reports of Go', () => {
  it("places a failing Go test of a package at the repository root on its line (go-junit-report's bare file name)", async () => {
    const test = [
      'package calc',
      '',
      'import "testing"',
      '',
      'func TestAdd(t *testing.T) {',
      '\tgot := Add(2, 2)',
      '\tif got == 4 {',
      '\t\treturn',
      '\t}',
      '\t// the failing line:',
      '\tt.Errorf("Add(2, 2) = %d, want 4", got)',
      '}',
      '',
    ].join('\n');
    // What go-junit-report writes for `go test -v` in the module's root package: the classname is the module's
    // import path, the failure text names the file without a folder.
    const report = `<testsuites tests="2" failures="1">
  <testsuite name="example.com/calc" tests="2" failures="1" errors="0" time="0.011">
    <testcase name="TestAdd" classname="example.com/calc" time="0.001">
      <failure message="Failed"><![CDATA[    calc_test.go:11: Add(2, 2) = 5, want 4]]></failure>
    </testcase>
    <testcase name="TestSub" classname="example.com/calc" time="0.001"></testcase>
  </testsuite>
</testsuites>
`;
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  go:
    run: mkdir -p out && cp fixtures/go-junit.xml out/ && exit 1
    reports: { junit: [out/*.xml] }
`,
      'go.mod': 'module example.com/calc\n\ngo 1.22\n',
      'calc.go': 'package calc\n\nfunc Add(a, b int) int { return a + b + 1 }\n',
      'calc_test.go': test,
      'fixtures/go-junit.xml': report,
    });
    const { harness } = step(workspace.root, {});
    const main = await harness.start('main').done;
    expect(main.code).toBe(1);
    const placed = errors(main.commands).filter((c) => c.properties.title?.startsWith('test failed'));
    expect(placed.map((c) => [c.properties.file, c.properties.line, c.properties.title])).toEqual([
      ['calc_test.go', '11', 'test failed: example.com/calc › TestAdd (go)'],
    ]);
    expect(main.summary).toContain(
      '| `go` | example.com/calc › TestAdd | Add(2, 2) = 5, want 4 | `calc_test.go:11` |',
    );
    const check = github.api.checkRun('vmplan / go', workspace.head)!;
    expect(check.annotations).toContainEqual(
      expect.objectContaining({
        path: 'calc_test.go',
        start_line: 11,
        title: 'test failed: example.com/calc › TestAdd (go)',
      }),
    );
  });
});

/** A string as a regular expression that matches it literally. */
function literally(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('matrix jobs through the action', () => {
  it('runs each variant as a job of its own: a check run named after it, its own outputs entry, needs waits for all', async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  test:
    matrix:
      node: [20, 22]
      os: [bookworm]
      include:
        - { node: 24, os: trixie }
      fail-fast: false
    run: 'echo "node=\${{ matrix.node }} os=\${{ matrix.os }}"; test \${{ matrix.node }} != 22'
  after: { run: echo after, needs: test }
`,
    });
    const { harness } = step(workspace.root, { 'max-parallel': '4' });
    const main = await harness.start('main').done;
    expect(main.code, main.stdout).toBe(1);
    const results = JSON.parse(main.outputs.results!) as Record<string, { status: string }>;
    expect(Object.fromEntries(Object.entries(results).map(([job, result]) => [job, result.status]))).toEqual({
      'test-node-20-bookworm': 'passed',
      'test-node-22-bookworm': 'failed',
      'test-node-24-trixie': 'passed',
      after: 'skipped',
    });
    // One check run per variant, named as people read it, each with its own conclusion.
    expect(github.api.checkRun('vmplan / test (node 20, bookworm)', workspace.head)).toMatchObject({
      conclusion: 'success',
    });
    expect(github.api.checkRun('vmplan / test (node 22, bookworm)', workspace.head)).toMatchObject({
      conclusion: 'failure',
    });
    expect(github.api.checkRun('vmplan / test (node 24, trixie)', workspace.head)).toMatchObject({
      conclusion: 'success',
    });
    // Each variant's own values reached its own command.
    expect(main.stdout).toContain('node=24 os=trixie');
  });
});
