import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionHarness, makeWorkspace } from '../support/github/action-harness.js';
import type { FakeGitHubApi } from '../support/github/fake-github-api.js';
import { type GitHubServices, startGitHubServices } from '../support/github/services.js';
import { TwirpArtifacts } from '../support/github/twirp-artifacts.js';
import type { WorkflowCommand } from '../support/github/workflow-commands.js';
import { processesWith } from '../support/processes.js';
import { testGuest, testImageYaml, VFKIT_SHIM } from '../support/vm.js';

let github: GitHubServices;
let twirp: TwirpArtifacts;
let api: FakeGitHubApi;
let services: { resultsUrl: string; runtimeToken: string; apiUrl: string };
let runCounter = 0;

beforeAll(async () => {
  github = await startGitHubServices();
  ({ twirp, api } = github);
  services = {
    resultsUrl: github.resultsUrl,
    runtimeToken: TwirpArtifacts.token('run-a', 'job-a'),
    apiUrl: github.apiUrl,
  };
});

afterAll(async () => {
  await github?.stop();
});

/** A fresh simulated workflow run (its own artifact namespace). */
function servicesForNewRun() {
  runCounter++;
  return { ...services, runtimeToken: TwirpArtifacts.token(`run-${runCounter}`, `job-${runCounter}`) };
}

/** The action's steps for a push to the workspace's repository, with these inputs, in a new workflow run. */
function onPush(root: string, inputs: Record<string, string>): ActionHarness {
  return new ActionHarness(root, inputs, {}, { name: 'push', payload: {} }, servicesForNewRun());
}

const JOBS = `version: 1
defaults: { executor: host }
jobs:
  build:
    run: echo "building"; mkdir -p out && echo app > out/app
    artifacts: [out/**]
  unit:
    needs: build
    run: echo "testing"
`;

/** Downloads an artifact with the real @actions/artifact client, as a later job or a user would. */
async function download(artifactId: number, runtimeToken: string): Promise<string> {
  process.env.ACTIONS_RUNTIME_TOKEN = runtimeToken;
  process.env.ACTIONS_RESULTS_URL = services.resultsUrl;
  process.env.NO_PROXY = '127.0.0.1,localhost';
  const { DefaultArtifactClient } = await import('@actions/artifact');
  const folder = mkdtempSync(join(tmpdir(), 'vmplan-download-'));
  await new DefaultArtifactClient().downloadArtifact(artifactId, { path: folder });
  return folder;
}

/** Starts the main step of a run whose one job runs for minutes, and resolves once that job started. */
async function startLongRunningJob(): Promise<{
  harness: ActionHarness;
  main: ReturnType<ActionHarness['start']>;
  marker: string;
  head: string;
}> {
  const marker = `vmplan-action-long-${randomBytes(4).toString('hex')}`;
  const workspace = makeWorkspace({
    '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  long: { run: "node -e 'setTimeout(() => {}, 300000)' ${marker}" }
`,
  });
  const harness = onPush(workspace.root, { 'github-token': 'test-token' });
  let started: () => void = () => undefined;
  const running = new Promise<void>((resolve) => {
    started = resolve;
  });
  const main = harness.start('main', {}, (text) => {
    if (text.includes('▶ long')) started();
  });
  await running;
  // "▶ long" comes before the job's process: wait until it runs and its record names it (what the post step goes
  // by), however long that takes on a busy machine.
  while (!(processesWith(marker).length === 1 && longRecorded(harness.temp)))
    await new Promise((resolve) => setTimeout(resolve, 20));
  return { harness, main, marker, head: workspace.head };
}

/** Whether the run's record of job "long" names its process (the state folder is RUNNER_TEMP/vmplan). */
function longRecorded(runnerTemp: string): boolean {
  const runs = join(runnerTemp, 'vmplan', 'runs');
  if (!existsSync(runs)) return false;
  return readdirSync(runs).some((run) => {
    try {
      const status = JSON.parse(readFileSync(join(runs, run, 'jobs/long/status.json'), 'utf8'));
      return status.process != null;
    } catch {
      return false;
    }
  });
}

const errors = (commands: WorkflowCommand[]) => commands.filter((c) => c.command === 'error');

describe('the committed bundle', () => {
  it('dist/index.js and dist/post.js run a plan with a host job end to end, as action.yml names them', async () => {
    const workspace = makeWorkspace({ '.github/vmplan.yml': JOBS, 'README.md': 'hi\n' });
    const harness = onPush(workspace.root, { 'github-token': 'test-token', 'check-runs': 'false' });
    harness.entry = 'bundle';
    const { main, post } = await harness.runBoth();
    expect(main.code, main.stdout + main.stderr).toBe(0);
    expect(main.outputs).toMatchObject({ status: 'passed', passed: '2', failed: '0' });
    expect(main.summary).toContain('## vmplan run: passed');
    expect(post.code).toBe(0);
    expect(post.stdout).toMatch(/run \S+ ended passed; nothing left running/);
  });
});

describe('the action, run as the runner runs it (from the current source)', () => {
  it('plans, uploads plan.json unzipped, runs, reports success with outputs, summary and check runs', async () => {
    const workspace = makeWorkspace({ '.github/vmplan.yml': JOBS, 'README.md': 'hi\n' });
    const runServices = servicesForNewRun();
    const harness = new ActionHarness(
      workspace.root,
      { 'github-token': 'test-token', 'check-runs': 'true' },
      {},
      { name: 'push', payload: {} },
      runServices,
    );
    const { main, post } = await harness.runBoth();
    expect(main.code, main.stdout + main.stderr).toBe(0);
    expect(main.outputs).toMatchObject({ status: 'passed', passed: '2', failed: '0' });
    expect(JSON.parse(main.outputs.results!)).toEqual({
      build: { status: 'passed', durationMs: expect.any(Number), exitCode: 0 },
      unit: { status: 'passed', durationMs: expect.any(Number), exitCode: 0 },
    });
    expect(main.outputs['run-id']).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(main.outputs['plan-artifact-url']).toBe(
      `https://github.com/acme/widgets/actions/runs/4242/artifacts/${main.outputs['plan-artifact-id']}`,
    );

    // The plan artifact is plan.json itself, byte for byte.
    const planFolder = await download(Number(main.outputs['plan-artifact-id']), runServices.runtimeToken);
    const downloaded = readFileSync(join(planFolder, 'vmplan-plan-vm-tests-attempt1.json'), 'utf8');
    expect(downloaded).toBe(readFileSync(main.outputs['plan-path']!, 'utf8'));
    expect(JSON.parse(downloaded).planId).toBe(main.outputs['plan-id']);
    expect(JSON.parse(downloaded).source).toMatchObject({
      repository: 'acme/widgets',
      commit: workspace.head,
      event: 'push',
    });

    // The logs artifact holds each job's log and artifacts, but not the snapshot or the workspace copies.
    const logsArtifact = twirp.artifacts.find(
      (a) => a.runBackendId === `run-${runCounter}` && a.name.startsWith('vmplan-logs-'),
    );
    expect(logsArtifact?.finalized).toBe(true);
    const logsFolder = await download(Number(logsArtifact!.id), runServices.runtimeToken);
    const logFiles = (readdirSync(logsFolder, { recursive: true }) as string[]).sort();
    expect(logFiles).toEqual(
      expect.arrayContaining([
        'plan.json',
        'run.json',
        'timeline.html',
        join('jobs', 'build', 'host.log'),
        join('jobs', 'build', 'artifacts', 'out', 'app'),
        join('jobs', 'unit', 'host.log'),
      ]),
    );
    expect(logFiles.filter((file) => /(^|\/)(snapshot|workspace)(\/|$)/.test(file))).toEqual([]);
    expect(readFileSync(join(logsFolder, 'jobs', 'unit', 'host.log'), 'utf8')).toContain('testing');
    // The run's timeline: a bar per job with its phases, in the artifact and as a gantt chart in the summary.
    expect(readFileSync(join(logsFolder, 'timeline.html'), 'utf8')).toContain('job unit: command');
    expect(main.summary).toMatch(
      /```mermaid\ngantt\n[^`]*section job build \(passed\)\n {2}prepare [^`]*section job unit/,
    );

    // A second use of the action in the same job never collides with the first one's artifacts.
    const again = await harness.start('main').done;
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toContain('uploaded as artifact vmplan-plan-vm-tests-attempt1-2.json');

    expect(main.summary).toContain('## vmplan run: passed');
    expect(main.summary).toMatch(/\| ✅ passed \| `build` \| [\d.]+ s \| 0 \| host \|/);
    expect(main.summary).toContain(
      `[\`${main.outputs['plan-id']!.slice(0, 12)}\`](https://github.com/acme/widgets/actions/runs/4242/artifacts/`,
    );

    for (const job of ['build', 'unit']) {
      const checkRun = api.checkRun(`vmplan / ${job}`, workspace.head);
      expect(checkRun).toMatchObject({
        head_sha: workspace.head,
        status: 'completed',
        conclusion: 'success',
      });
    }
    expect(api.rejected).toEqual([]);
    expect(post.code).toBe(0);
    expect(post.stdout).toMatch(/run \S+ ended passed; nothing left running/);
  });

  it("puts its own vmplan on PATH for later steps, run by the runner's Node (none needed on PATH)", async () => {
    const workspace = makeWorkspace({ '.github/vmplan.yml': JOBS });
    const harness = onPush(workspace.root, { 'plan-only': 'true' });
    const main = await harness.start('main').done;
    expect(main.code, main.stdout).toBe(0);
    expect(main.paths).toHaveLength(1);
    const vmplan = join(main.paths[0]!, 'vmplan');
    // A later step: PATH without node; the wrapper names the runner's Node itself.
    const later = (args: string[]) =>
      execFileSync(vmplan, args, {
        cwd: workspace.root,
        env: { PATH: '/nonexistent', HOME: harness.temp },
        encoding: 'utf8',
      });
    expect(later(['--version']).trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    expect(later(['plan', '--only', 'unit'])).toMatch(/2 job\(s\), 0 image\(s\)/);
  });

  it("runs the doctor's checks first: a vfkit too old fails the step with the fix in the summary, running nothing", async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
images:
  tiny: { arch: arm64, kernel: /nonexistent/kernel, initrd: /nonexistent/initrd }
jobs:
  in-vm: { run: echo never, image: tiny, executor: vfkit }
`,
    });
    const oldVfkit = join(workspace.root, 'old-vfkit');
    writeFileSync(oldVfkit, '#!/bin/sh\necho "vfkit version: v0.5.1"\n');
    chmodSync(oldVfkit, 0o755);
    const harness = onPush(workspace.root, { 'vfkit-path': oldVfkit });
    const main = await harness.start('main').done;
    expect(main.code).toBe(1);
    expect(
      errors(main.commands)
        .map((c) => c.message)
        .join('\n'),
    ).toMatch(
      /this runner cannot run the plan \(1 problem\(s\) stop vmplan on this host\):\n {2}- vfkit 0\.5\.1 at .*old-vfkit is too old \(vmplan needs 0\.6\.2 or newer\); fix: brew upgrade vfkit/,
    );
    expect(main.summary).toContain('### vmplan doctor: 1 problem(s) stop vmplan on this host');
    expect(main.summary).toMatch(/\| ✘ \| vfkit 0\.5\.1 at .* is too old .* \| brew upgrade vfkit \|/);
    expect(main.stdout).not.toContain('▶ in-vm');
    expect(main.outputs.status).toBe('failed');
    // The plan was still published: what would have run can be read.
    expect(main.outputs['plan-id']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('fails the step on a failed job: annotation on the job definition, failure check run, outputs, summary', async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  lint: { run: echo fine }
  unit:
    run: |
      echo "src/app.c:3:5: error: expected ';' before 'return'"
      exit 3
`,
      'src/app.c': 'int main() {\n  int x = 1\n  return x;\n}\n',
    });
    const harness = onPush(workspace.root, { 'github-token': 'test-token', 'fail-fast': 'false' });
    const { main } = await harness.runBoth();
    expect(main.code).toBe(1);
    expect(main.outputs).toMatchObject({ status: 'failed', passed: '1', failed: '1' });
    expect(JSON.parse(main.outputs.results!).unit).toMatchObject({ status: 'failed', exitCode: 3 });
    const failure = errors(main.commands).find((c) => c.properties.title === 'vmplan: unit failed (exit 3)');
    expect(failure?.properties).toMatchObject({ file: '.github/vmplan.yml', line: '5' });
    expect(failure?.message).toContain('exited with code 3');
    const diagnostic = errors(main.commands).find((c) => c.properties.file === 'src/app.c');
    expect(diagnostic).toMatchObject({
      properties: { line: '3', col: '5' },
      message: "expected ';' before 'return'",
    });
    expect(errors(main.commands).at(-1)?.message).toBe('vmplan: 1 job(s) did not pass: unit (failed)');
    expect(api.checkRun('vmplan / unit', workspace.head)).toMatchObject({ conclusion: 'failure' });
    expect(api.checkRun('vmplan / unit', workspace.head)!.annotations).toHaveLength(2);
    expect(main.summary).toContain(
      '<details><summary>❌ <code>unit</code> failed, exit 3: exited with code 3</summary>',
    );
  });

  it("test reports: the failed tests on their lines, in the summary, the check run's output and results.json", async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  pytest:
    run: mkdir -p out && cp fixtures/pytest-junit.xml out/ && exit 1
    reports: { junit: [out/*.xml] }
`,
      'fixtures/pytest-junit.xml': readFileSync(
        new URL('../fixtures/tool-output/pytest-junit.xml', import.meta.url),
        'utf8',
      ),
      'tests/test_calc.py': 'def test_adds():\n    pass\n',
    });
    const harness = onPush(workspace.root, { 'github-token': 'test-token' });
    const { main } = await harness.runBoth();
    expect(main.code).toBe(1);
    const placed = errors(main.commands).filter((c) => c.properties.file === 'tests/test_calc.py');
    expect(placed.map((c) => [c.properties.line, c.properties.title])).toEqual([
      ['13', 'test failed: tests.test_calc › test_adds_negative (pytest)'],
      ['26', 'test failed: tests.test_calc.TestDivide › test_by_zero (pytest)'],
      ['31', 'test failed: tests.test_calc › test_uses_broken (pytest)'],
    ]);
    expect(main.summary).toMatch(
      /\| ❌ failed \| `pytest` \| .* \| 2 passed, 3 failed, 1 skipped in \d+ ms \|/,
    );
    expect(main.summary).toContain(
      '| `pytest` | tests.test_calc › test_adds_negative | assert -3 == -4 | `tests/test_calc.py:13` |',
    );
    const check = api.checkRun('vmplan / pytest', workspace.head)! as unknown as {
      output: { summary: string; text: string };
    };
    expect(check.output.summary).toMatch(/\nTests: 2 passed, 3 failed, 1 skipped in \d+ ms\./);
    expect(check.output.text).toMatch(
      /^### tests\.test_calc › test_adds_negative \(`tests\/test_calc\.py:13`\)/,
    );
    const results = JSON.parse(main.outputs.results!);
    expect(results.pytest).toMatchObject({ status: 'failed' });
  });

  it('retries: a job that fails, then passes is flaky in the log, the summary and its check run; the step passes', async () => {
    const counter = join(mkdtempSync(join(tmpdir(), 'vmplan-action-retry-')), 'count');
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  flaky:
    run: n=$(( $(cat ${counter} 2>/dev/null || echo 0) + 1 )); echo $n > ${counter}; [ $n -ge 2 ]
    retries: 2
`,
    });
    const harness = onPush(workspace.root, { 'github-token': 'test-token' });
    const { main } = await harness.runBoth();
    expect(main.code, main.stdout).toBe(0);
    expect(main.stdout).toContain('↻ flaky attempt 1 of 3 failed (exit 1): exited with code 1; retrying');
    expect(main.stdout).toMatch(/✅ flaky passed in [\d.]+ m?s \(flaky: passed on attempt 2 of 2\)/);
    expect(main.summary).toMatch(/^\| ✅ passed, flaky \(2 attempts\) \| `flaky` \|/m);
    expect(main.summary).toContain('**Retried jobs** (1 flaky):');
    const check = api.checkRun('vmplan / flaky', workspace.head)! as unknown as {
      conclusion: string;
      output: { summary: string };
    };
    expect(check.conclusion).toBe('success');
    expect(check.output.summary).toMatch(/\nFlaky: 2 attempts: failed in [\d.]+ s, passed in [\d.]+ s\./);
  });

  it('one run with all of it: a failing JUnit suite, a TAP suite, a flaky job and an outputs chain', async () => {
    const counter = join(mkdtempSync(join(tmpdir(), 'vmplan-action-all-')), 'count');
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  build:
    run: mkdir -p dist && echo "app v1" > dist/app
    outputs: [dist/]
  pytest:
    run: mkdir -p out && cp fixtures/pytest-junit.xml out/ && cat dist/app && exit 1
    needs: build
    reports: { junit: [out/*.xml] }
  node:
    run: mkdir -p out && node --test --test-reporter=tap --test-reporter-destination=out/unit.tap test/math.test.mjs
    needs: build
    reports: { tap: [out/*.tap] }
  flaky:
    run: n=$(( $(cat ${counter} 2>/dev/null || echo 0) + 1 )); echo $n > ${counter}; [ $n -ge 2 ]
    retries: 1
`,
      'fixtures/pytest-junit.xml': readFileSync(
        new URL('../fixtures/tool-output/pytest-junit.xml', import.meta.url),
        'utf8',
      ),
      'tests/test_calc.py': 'def test_adds():\n    pass\n',
      'test/math.test.mjs': `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

test('reads the build', () => {
  assert.equal(readFileSync('dist/app', 'utf8'), 'app v1\\n');
});

test('adds', () => {
  assert.equal(1 + 1, 3);
});
`,
    });
    const harness = onPush(workspace.root, { 'github-token': 'test-token', 'fail-fast': 'false' });
    const { main } = await harness.runBoth();
    expect(main.code).toBe(1);
    expect(main.summary).toMatch(/^\| ✅ passed \| `build` \|/m);
    expect(main.summary).toMatch(
      /^\| ❌ failed \| `pytest` \| .* \| 2 passed, 3 failed, 1 skipped in \d+ ms \|/m,
    );
    expect(main.summary).toMatch(/^\| ❌ failed \| `node` \| .* \| 1 passed, 1 failed in \d+ ms \|/m);
    expect(main.summary).toMatch(/^\| ✅ passed, flaky \(2 attempts\) \| `flaky` \|/m);
    expect(main.summary).toMatch(/^\| `node` \| adds \| .* \| `test\/math\.test\.mjs:10` \|$/m);
    // The example the docs show (and the closing note quotes): kept for reading.
    writeFileSync(join(tmpdir(), 'vmplan-summary-example.md'), main.summary);
  });

  it('never lets job output act as a workflow command', async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  sneaky:
    run: |
      echo "::error title=fake::a job wrote this"
      echo "::add-mask::public-value"
      echo "::set-output name=status::hacked"
      echo "  ::warning::indented"
      echo "##[error]legacy syntax"
`,
    });
    const harness = onPush(workspace.root, { 'check-runs': 'false' });
    const main = await harness.start('main').done;
    expect(main.code).toBe(0);
    expect(main.stdout).toContain('::error title=fake::a job wrote this');
    // (@actions/artifact masks its own signed URLs: those add-mask commands are vmplan's, not the job's.)
    expect(
      main.commands.filter((c) => c.message.includes('public-value') || c.message.includes('hacked')),
    ).toEqual([]);
    expect(main.commands.map((c) => c.command)).not.toContain('set-output');
    expect(
      main.commands.filter((c) => c.command === 'error' || c.command === 'warning').map((c) => c.message),
    ).toEqual([]);
    expect(main.outputs.status).toBe('passed');
  });

  it('puts all 120 diagnostics in the check run (batches of 50) and the ten most useful in the log', async () => {
    const lines = Array.from(
      { length: 120 },
      (_, i) => `echo "src/f${i % 6}.c:${i + 1}:1: error: problem ${i}"`,
    ).join('\n      ');
    const files = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`src/f${i}.c`, 'x\n'.repeat(200)]));
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  noisy:
    run: |
      ${lines}
      exit 1
`,
      ...files,
    });
    const harness = onPush(workspace.root, { 'github-token': 'test-token' });
    const main = await harness.start('main').done;
    expect(main.code).toBe(1);
    const checkRun = api.checkRun('vmplan / noisy', workspace.head)!;
    expect(checkRun.annotations).toHaveLength(121); // the job failure + 120 diagnostics
    const patches = api.requests.filter(
      (r) =>
        r.method === 'PATCH' && (r.body.output as { annotations?: unknown[] })?.annotations !== undefined,
    );
    expect(
      Math.max(...patches.map((r) => (r.body.output as { annotations: unknown[] }).annotations.length)),
    ).toBeLessThanOrEqual(50);
    // The runner keeps ten errors per step: nine annotations and the step's own failure.
    expect(errors(main.commands).filter((c) => c.properties.title !== undefined)).toHaveLength(9);
    expect(errors(main.commands)).toHaveLength(10);
    expect(api.rejected).toEqual([]);
  });

  it('keeps the summary within 1 MiB when a job prints 50 MB', async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  flood: { run: "head -c 50000000 /dev/zero | tr '\\\\0' y | fold -w 120; exit 1" }
`,
    });
    const harness = onPush(workspace.root, { 'check-runs': 'false', 'upload-logs': 'never' });
    const main = await harness.start('main').done;
    expect(main.code).toBe(1);
    expect(Buffer.byteLength(main.summary)).toBeLessThan(1024 * 1024);
    expect(main.summary).toContain('_The end of the log (the whole log is in the logs artifact):_');
  }, 120_000);

  it('degrades to summary and annotations with one warning when the token cannot write checks (fork PR)', async () => {
    const workspace = makeWorkspace({ '.github/vmplan.yml': JOBS });
    api.forbid = true;
    try {
      const harness = new ActionHarness(
        workspace.root,
        // The jobs are host jobs: the operator vouches for this pull request (trust: auto would refuse them).
        { 'github-token': 'read-only', 'check-runs': 'true', trust: 'trusted' },
        {},
        { name: 'push', payload: {} },
        servicesForNewRun(),
      );
      const main = await harness.start('main').done;
      expect(main.code, main.stdout).toBe(0);
      const warnings = main.commands.filter(
        (c) => c.command === 'warning' && c.message.startsWith('check runs are off'),
      );
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toContain('403');
      expect(main.summary).toContain('## vmplan run: passed');
    } finally {
      api.forbid = false;
    }
  });

  it('does not even try check runs for a fork pull request in auto mode', async () => {
    const workspace = makeWorkspace({ '.github/vmplan.yml': JOBS });
    const before = api.requests.length;
    const payload = {
      pull_request: {
        head: { sha: 'f'.repeat(40), ref: 'feature', repo: { full_name: 'someone/widgets' } },
        base: { sha: 'e'.repeat(40), repo: { full_name: 'acme/widgets' } },
      },
    };
    const harness = new ActionHarness(
      workspace.root,
      { 'github-token': 'read-only', trust: 'trusted' },
      {},
      { name: 'pull_request', payload },
      servicesForNewRun(),
    );
    const main = await harness.start('main').done;
    expect(main.code).toBe(0);
    expect(api.requests.length).toBe(before);
    expect(main.stdout).toContain('Check runs are off: a pull request from a fork gets a read-only token');
    // The base commit is not in this clone: paths filters cannot apply, and the summary says why.
    expect(main.summary).toContain(
      'Changed files unknown (commit eeeeeeeeeeee is not in the clone (use actions/checkout with fetch-depth: 0))',
    );
  });

  it('on a pull request: the head commit, the real diff for paths, masked secrets, one check run per job however slow the API', async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  c-tests:
    run: echo "token is $API_TOKEN"
    secrets: [API_TOKEN]
    paths: [src/**]
  docs:
    run: echo docs
    paths: [docs/**]
`,
      'src/app.c': 'int main(void) { return 0; }\n',
    });
    // The PR's head commit changes src/; the checkout is GitHub's merge commit of it into the base.
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: workspace.root, encoding: 'utf8' }).trim();
    git('checkout', '-q', '-b', 'feature');
    execFileSync('sh', ['-c', 'echo "/* faster */" >> src/app.c'], { cwd: workspace.root });
    git('commit', '-q', '-am', 'change src');
    const head = git('rev-parse', 'HEAD');
    git('checkout', '-q', 'main');
    git('merge', '-q', '--no-ff', '-m', 'merge', 'feature');
    expect(git('rev-parse', 'HEAD')).not.toBe(head);
    const secret = `s3cr3t-${randomBytes(6).toString('hex')}`;
    const payload = {
      pull_request: {
        head: { sha: head, ref: 'feature', repo: { full_name: 'acme/widgets' } },
        base: { sha: workspace.head, repo: { full_name: 'acme/widgets' } },
      },
    };
    api.createDelayMs = 1500;
    try {
      const harness = new ActionHarness(
        workspace.root,
        { 'github-token': 'test-token' },
        { API_TOKEN: secret },
        { name: 'pull_request', payload },
        servicesForNewRun(),
      );
      const main = await harness.start('main').done;
      expect(main.code, main.stdout).toBe(0);
      // The secret is registered with the runner before any job output, and never printed by vmplan.
      const mask = main.stdout.indexOf(`::add-mask::${secret}`);
      expect(mask).toBeGreaterThanOrEqual(0);
      expect(mask).toBeLessThan(main.stdout.indexOf('::stop-commands::'));
      expect(main.stdout.split(secret)).toHaveLength(2);
      expect(main.stdout).toContain('token is ***');
      const plan = JSON.parse(readFileSync(main.outputs['plan-path']!, 'utf8'));
      expect(plan.source).toMatchObject({ commit: head, ref: 'refs/heads/feature', event: 'pull_request' });
      expect(JSON.stringify(plan)).not.toContain(secret);
      expect(JSON.parse(main.outputs.results!)).toEqual({
        'c-tests': { status: 'passed', durationMs: expect.any(Number), exitCode: 0 },
      });
      expect(main.summary).toContain('- `docs`: no changed file matches paths (docs/**); 1 file(s) changed');
      const runs = [...api.checkRuns.values()].filter((run) => run.head_sha === head);
      expect(runs.map((run) => [run.name, run.status, run.conclusion])).toEqual([
        ['vmplan / c-tests', 'completed', 'success'],
      ]);
    } finally {
      api.createDelayMs = 0;
    }
  });

  it('on SIGINT mid-run stops the jobs; the post step leaves nothing running and completes check runs as cancelled', async () => {
    const { harness, main, marker, head } = await startLongRunningJob();
    main.child.kill('SIGINT');
    const mainResult = await main.done;
    expect(mainResult.code).toBe(1);
    const post = await harness.start('post', mainResult.state).done;
    expect(post.code).toBe(0);
    expect(processesWith(marker)).toEqual([]);
    const runDir = mainResult.state['run-dir']!;
    expect(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).status).toBe('cancelled');
    expect(JSON.parse(readFileSync(join(runDir, 'jobs/long/status.json'), 'utf8')).status).toBe('cancelled');
    // Even cancelled, the step leaves its results.json for a report to merge.
    expect(
      twirp.artifacts.some(
        (a) => a.runBackendId === `run-${runCounter}` && a.name.startsWith('vmplan-results-') && a.finalized,
      ),
    ).toBe(true);
    expect(api.checkRun('vmplan / long', head)).toMatchObject({
      status: 'completed',
      conclusion: 'cancelled',
    });
  });

  it('the post step finishes a run whose main step was killed outright', async () => {
    const { harness, main, marker, head } = await startLongRunningJob();
    main.child.kill('SIGKILL');
    const mainResult = await main.done;
    expect(processesWith(marker)).toHaveLength(1);
    const post = await harness.start('post', mainResult.state).done;
    expect(post.stdout).toMatch(/was left running; stopped what it left and recorded it as cancelled/);
    expect(processesWith(marker)).toEqual([]);
    expect(JSON.parse(readFileSync(join(mainResult.state['run-dir']!, 'run.json'), 'utf8')).status).toBe(
      'cancelled',
    );
    expect(api.checkRun('vmplan / long', head)).toMatchObject({
      status: 'completed',
      conclusion: 'cancelled',
    });
  });

  it('plan-only publishes a plan that a later step runs with the plan input', async () => {
    const workspace = makeWorkspace({ '.github/vmplan.yml': JOBS });
    const runServices = servicesForNewRun();
    const planner = new ActionHarness(
      workspace.root,
      { 'plan-only': 'true' },
      {},
      { name: 'push', payload: {} },
      runServices,
    );
    const planned = await planner.start('main').done;
    expect(planned.code).toBe(0);
    expect(planned.outputs).toMatchObject({
      status: 'planned',
      'plan-id': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(planned.outputs['run-id']).toBeUndefined();
    expect(planned.summary).toContain('## vmplan plan');

    const folder = await download(Number(planned.outputs['plan-artifact-id']), runServices.runtimeToken);
    const planFile = join(folder, 'vmplan-plan-vm-tests-attempt1.json');
    expect(existsSync(planFile)).toBe(true);
    const runner = onPush(workspace.root, { plan: planFile, only: 'build', 'check-runs': 'false' });
    const ran = await runner.start('main').done;
    expect(ran.code, ran.stdout).toBe(0);
    expect(JSON.parse(ran.outputs.results!)).toEqual({
      build: { status: 'passed', durationMs: expect.any(Number), exitCode: 0 },
    });
  });

  it('rejects invalid inputs with a message naming each input, running nothing', async () => {
    const workspace = makeWorkspace({ '.github/vmplan.yml': JOBS });
    const harness = onPush(workspace.root, {
      'max-parallel': 'two',
      'check-runs': 'maybe',
      executor: 'docker',
    });
    const main = await harness.start('main').done;
    expect(main.code).toBe(1);
    const message = errors(main.commands)
      .map((c) => c.message)
      .join('\n');
    expect(message).toContain('input "executor": expected one of "host", "vfkit", "qemu", found "docker"');
    expect(message).toContain('input "max-parallel": expected a positive whole number, found "two"');
    expect(message).toContain('input "check-runs": expected auto, true or false, found "maybe"');
    expect(main.outputs['plan-id']).toBeUndefined();
  });

  it('puts each problem of a jobs file on its line as an annotation, running nothing', async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml':
        'version: 1\ndefaults: { executor: host }\njobs:\n  unit:\n    run: x\n    needs: [biuld]\n    timout: 3\n',
    });
    const harness = onPush(workspace.root, {});
    const main = await harness.start('main').done;
    expect(main.code).toBe(1);
    const located = errors(main.commands).filter((c) => c.properties.file === '.github/vmplan.yml');
    expect(located.map((c) => [c.properties.line, c.message])).toEqual([
      ['6', '.github/vmplan.yml:6:13 jobs.unit.needs[0]: unknown job "biuld"'],
      [
        '7',
        '.github/vmplan.yml:7:5 jobs.unit.timout: unknown key "timout" (did you mean "timeout-minutes"?)',
      ],
    ]);
    expect(errors(main.commands).at(-1)?.message).toBe('vmplan: 2 problem(s) in the input, nothing ran');
    expect(main.outputs['plan-id']).toBeUndefined();
  });

  it('locates errors in inline jobs YAML given with jobs: |', async () => {
    const workspace = makeWorkspace({ 'README.md': 'x\n' });
    const harness = onPush(workspace.root, {
      jobs: 'version: 1\njobs:\n  unit: { run: x, needs: [biuld] }\n',
    });
    const main = await harness.start('main').done;
    expect(main.code).toBe(1);
    expect(errors(main.commands).map((c) => c.message)).toContain(
      'input "jobs":3:27 jobs.unit.needs[0]: unknown job "biuld"',
    );
  });

  const guest = testGuest();
  it.skipIf(guest === undefined)(
    'runs jobs in VMs through the vfkit executor (vfkit-path: the test shim)',
    async () => {
      const workspace = makeWorkspace({
        '.github/vmplan.yml': `version: 1
images:
${testImageYaml(guest!)}
defaults: { image: tiny, executor: vfkit }
jobs:
  in-vm: { run: 'echo "inside $(uname -m)"; test -f README.md' }
`,
        'README.md': 'hi\n',
      });
      const harness = onPush(workspace.root, { 'vfkit-path': VFKIT_SHIM, 'github-token': 'test-token' });
      const { main, post } = await harness.runBoth();
      expect(main.code, main.stdout).toBe(0);
      expect(main.stdout).toContain('inside aarch64');
      expect(main.summary).toMatch(/\| ✅ passed \| `in-vm` \| [\d.]+ s \| 0 \| vfkit \|/);
      expect(post.code).toBe(0);
    },
  );

  it.skipIf(guest === undefined)(
    'keeps the image cache and named caches across workflow runs (RUNNER_TEMP emptied): the second run reuses both',
    async () => {
      const home = mkdtempSync(join(tmpdir(), 'vmplan-runner-home-'));
      const builds = join(home, 'builds.log');
      const workspace = makeWorkspace({
        '.github/vmplan.yml': `version: 1
images:
  cached:
    arch: arm64
    cpus: 1
    memory: 512
    cmdline: "quiet cryptomgr.notests"
    build:
      run: echo built >> ${builds}; cp ${guest}/kernel ${guest}/initrd "$VMPLAN_IMAGE_OUT/"
defaults: { image: cached, executor: vfkit }
jobs:
  remember:
    run: 'echo run >> /var/cache/seen/runs; echo "runs this cache saw: $(wc -l < /var/cache/seen/runs)"'
    caches: { seen: /var/cache/seen }
`,
      });
      // Two workflow runs on one machine: each harness has its own RUNNER_TEMP (the runner empties it); the
      // cache folder is the runner user's default one (HOME), as on a self-hosted Mac.
      const run = async (runId: string) => {
        const harness = new ActionHarness(
          workspace.root,
          { 'vfkit-path': VFKIT_SHIM, 'github-token': 'test-token' },
          { HOME: home, VMPLAN_CACHE_DIR: '', GITHUB_RUN_ID: runId },
          { name: 'push', payload: {} },
          servicesForNewRun(),
        );
        const { main } = await harness.runBoth();
        expect(main.code, main.stdout).toBe(0);
        return { main, temp: harness.temp };
      };
      const first = await run('5001');
      expect(first.main.stdout).toContain('runs this cache saw: 1');
      expect(first.main.stdout).toMatch(/image "cached" built in [\d.]+ s and cached/);
      const second = await run('5002');
      expect(second.temp).not.toBe(first.temp);
      expect(second.main.stdout).toMatch(/image "cached" from the cache \(key [0-9a-f]+/);
      expect(second.main.stdout).toContain('runs this cache saw: 2');
      expect(readFileSync(builds, 'utf8').trim().split('\n')).toHaveLength(1);
      // The per-user default, not RUNNER_TEMP: what the README promises for a self-hosted runner.
      expect(
        readdirSync(join(home, '.cache/vmplan/images')).some((name) => /^[0-9a-f]{32}$/.test(name)),
      ).toBe(true);
      expect(second.main.stdout).toMatch(
        /Cache .*\.cache\/vmplan: [\d.]+ (MB|KB|GB) kept \(cache-max-size 20\.0 GB\)/,
      );
    },
  );
});
