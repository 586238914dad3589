import { describe, expect, it } from 'vitest';
import { ActionInputsSchema } from '../../src/action/inputs.js';
import { listOption } from '../../src/cli/args.js';
import { buildPlan } from '../../src/plan/build.js';
import { renderPlan } from '../../src/plan/render.js';
import { type ExecuteNode, PlanSchema } from '../../src/plan/schema.js';
import { selectFromPlan } from '../../src/plan/select.js';
import { assignShards, shardPlan } from '../../src/plan/shard.js';
import { checkRunCompletion, checkRunStart } from '../../src/report/check-runs.js';
import { buildSummary } from '../../src/report/summary.js';
import { context, finishedRun, jobReport, jobs, refusalOf } from '../support/jobs.js';

const MATRIX = `version: 1
images:
  debian-12: { arch: arm64, nix: .#d12 }
  debian-13: { arch: arm64, nix: .#d13 }
defaults: { executor: qemu }
jobs:
  build:
    run: make
    image: debian-12
    outputs: [out/**]
  test:
    matrix:
      suite: [12, 13]
      arch: [arm64, amd64]
      fail-fast: false
    needs: build
    image: debian-\${{ matrix.suite }}
    run: ./test --arch \${{ matrix.arch }}
    env: { ARCH: "\${{ matrix.arch }}" }
    paths: ["src/\${{ matrix.arch }}/**"]
  publish:
    run: ./publish
    image: debian-12
    needs: test
`;
const config = jobs(MATRIX);
const VARIANTS = ['test-suite-12-amd64', 'test-suite-12-arm64', 'test-suite-13-amd64', 'test-suite-13-arm64'];
const executeJobs = (plan: ReturnType<typeof buildPlan>) =>
  plan.nodes.flatMap((node) => (node.kind === 'execute' ? [node.job] : []));
const node = (plan: ReturnType<typeof buildPlan>, job: string) =>
  plan.nodes.find((candidate) => candidate.id === `job:${job}`) as ExecuteNode;

describe('buildPlan with a matrix job', () => {
  const plan = buildPlan(config, context());

  it('makes one execute node per combination, with its values, image and substitutions', () => {
    expect(PlanSchema.safeParse(plan).success).toBe(true);
    expect(executeJobs(plan)).toEqual(['build', ...VARIANTS, 'publish']);
    expect(node(plan, 'test-suite-13-arm64')).toMatchObject({
      description: 'Run job "test (suite 13, arm64)"',
      image: 'debian-13',
      command: './test --arch arm64',
      env: { ARCH: 'arm64' },
      needs: ['build'],
      dependsOn: ['image:debian-13', 'job:build'],
      receives: [{ from: 'build', paths: ['out/**'] }],
      matrix: {
        job: 'test',
        name: 'test (suite 13, arm64)',
        values: { arch: 'arm64', suite: 13 },
        failFast: false,
      },
    });
    expect(node(plan, 'build').matrix).toBeUndefined();
  });

  it('makes a job that needs a matrix job wait for every variant', () => {
    expect(node(plan, 'publish').needs).toEqual(VARIANTS);
    expect(node(plan, 'publish').dependsOn).toEqual([
      'image:debian-12',
      ...VARIANTS.map((id) => `job:${id}`),
    ]);
    expect(plan.stages.at(-1)).toEqual(['job:publish']);
  });

  it('selects all variants by the job, one by its id or its display name, with what they need', () => {
    const all = buildPlan(config, context({ only: ['test'] }));
    expect(executeJobs(all)).toEqual(['build', ...VARIANTS]);
    const one = buildPlan(config, context({ only: ['test (suite 12, amd64)'] }));
    expect(executeJobs(one)).toEqual(['build', 'test-suite-12-amd64']);
    expect(executeJobs(buildPlan(config, context({ only: ['test-suite-12-amd64'] })))).toEqual(
      executeJobs(one),
    );
    expect(one.excluded.map((entry) => entry.job)).toEqual([
      'publish',
      'test-suite-12-arm64',
      'test-suite-13-amd64',
      'test-suite-13-arm64',
    ]);
    expect(refusalOf(() => buildPlan(config, context({ only: ['tset'] })))).toBe(
      '--only: unknown job "tset" (did you mean "test"?)',
    );
    // The same names narrow an existing plan.
    expect(executeJobs(selectFromPlan(plan, ['test'], 'x', plan.createdAt))).toEqual(['build', ...VARIANTS]);
    expect(executeJobs(selectFromPlan(plan, ['test (suite 13, arm64)'], 'x', plan.createdAt))).toEqual([
      'build',
      'test-suite-13-arm64',
    ]);
  });

  it('filters variants by their own substituted paths, and excludes what needs an excluded variant', () => {
    const filtered = buildPlan(
      config,
      context({ changes: { known: true, source: 'git diff', files: ['src/arm64/a.c'] } }),
    );
    expect(executeJobs(filtered)).toEqual(['build', 'test-suite-12-arm64', 'test-suite-13-arm64']);
    expect(filtered.excluded.map((entry) => [entry.job, entry.reason])).toEqual([
      ['publish', 'needs-excluded'],
      ['test-suite-12-amd64', 'paths'],
      ['test-suite-13-amd64', 'paths'],
    ]);
  });

  it('balances variants over shards like jobs', () => {
    const free = jobs(`version: 1
defaults: { executor: host }
jobs:
  test:
    matrix: { n: [1, 2, 3, 4] }
    run: echo \${{ matrix.n }}
`);
    const whole = buildPlan(free, context());
    expect(assignShards(whole, 2)).toEqual([
      ['test-n-1', 'test-n-3'],
      ['test-n-2', 'test-n-4'],
    ]);
    const timed = buildPlan(
      free,
      context({ durations: { 'test-n-1': 9000, 'test-n-2': 1000, 'test-n-3': 1000, 'test-n-4': 1000 } }),
    );
    expect(assignShards(timed, 2)).toEqual([['test-n-1'], ['test-n-2', 'test-n-3', 'test-n-4']]);
    expect(executeJobs(shardPlan(timed, { index: 1, count: 2 }))).toEqual(['test-n-1']);
  });

  it('is deterministic: same ids and bytes whatever the key order, and unrelated axes elsewhere change nothing', () => {
    const reordered = jobs(
      MATRIX.replace('    needs: build\n', '').replace('    matrix:\n', '    needs: build\n    matrix:\n'),
    );
    expect(buildPlan(reordered, context()).planId).toBe(plan.planId);
    const other = jobs(`${MATRIX}  lint:
    matrix: { tool: [a, b] }
    run: lint \${{ matrix.tool }}
    image: debian-12
`);
    const withLint = buildPlan(other, context());
    for (const id of VARIANTS) expect(node(withLint, id)).toEqual(node(plan, id));
  });

  it('groups variants under their job in vmplan show', () => {
    expect(renderPlan(plan)).toContain(`Matrix jobs
  test (4 variant(s), fail-fast: false)
    test-suite-12-amd64  test (suite 12, amd64)
    test-suite-12-arm64  test (suite 12, arm64)
    test-suite-13-amd64  test (suite 13, amd64)
    test-suite-13-arm64  test (suite 13, arm64)
`);
  });
});

describe('a variant in the reports', () => {
  it('shows its display name next to its id in the summary and names its check run by it', () => {
    const plan = buildPlan(config, context());
    const report = jobReport({ job: 'test-suite-12-arm64', name: 'test (suite 12, arm64)' });
    const summary = buildSummary({ plan, run: finishedRun(plan), jobs: [report, jobReport()], links: {} });
    expect(summary).toContain('| `test-suite-12-arm64` test (suite 12, arm64) |');
    expect(summary).toContain('| `unit` |');
    expect(checkRunStart('test-suite-12-arm64', 'test (suite 12, arm64)').name).toBe(
      'vmplan / test (suite 12, arm64)',
    );
    expect(checkRunCompletion(report, []).name).toBe('vmplan / test (suite 12, arm64)');
    expect(checkRunCompletion(jobReport(), []).name).toBe('vmplan / unit');
  });
});

describe('naming a variant where names are lists', () => {
  it("keeps the comma inside a display name: --only and the action's only input", () => {
    expect(listOption(['test (node 22, arm64),lint', 'build'])).toEqual([
      'test (node 22, arm64)',
      'lint',
      'build',
    ]);
    expect(ActionInputsSchema.shape.only.parse('test (node 22, arm64), lint\nbuild')).toEqual([
      'test (node 22, arm64)',
      'lint',
      'build',
    ]);
  });
});
