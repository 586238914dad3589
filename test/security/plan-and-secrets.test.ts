import { describe, expect, it } from 'vitest';
import { inheritableEnvironment } from '../../src/executors/job-env.js';
import { buildPlan, planIdOf } from '../../src/plan/build.js';
import { parsePlan, serializePlan } from '../../src/plan/io.js';
import type { Plan } from '../../src/plan/schema.js';
import { context, jobs, jobsErrors, refusalOf } from '../support/jobs.js';

// Guarantees 4 (runner credentials never reach a job) and 9 (a plan is checked with the jobs file's own rules).

const RUNNER_CREDENTIALS = [
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_URL',
  'ACTIONS_RESULTS_URL',
  'INPUT_GITHUB-TOKEN'.replace('-', '_'),
  'STATE_RUN_ID',
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'GITHUB_ENV',
  'GITHUB_PATH',
  'GITHUB_OUTPUT',
  'GITHUB_STATE',
  'GITHUB_STEP_SUMMARY',
];

const base = `version: 1
images:
  guest: { arch: arm64, kernel: k, initrd: i }
jobs:
  test:
    image: guest
    run: make test
`;

describe('runner credentials', () => {
  for (const name of RUNNER_CREDENTIALS) {
    it(`refuses secrets: [${name}] with a located error`, () => {
      const errors = jobsErrors(`${base}    secrets: [MY_TOKEN, ${name}]\n`);
      expect(errors[0]).toMatch(
        new RegExp(
          `^\\.github/vmplan\\.yml:8:\\d+ jobs\\.test\\.secrets\\[1\\]: "${name}" is never handed to a job`,
        ),
      );
    });
  }

  it('never lets a host job or an image build inherit them', () => {
    const runner = Object.fromEntries(RUNNER_CREDENTIALS.map((name) => [name, `value-of-${name}`]));
    const env = inheritableEnvironment({
      ...runner,
      PATH: '/usr/bin',
      HOME: '/home/runner',
      NODE_OPTIONS: '-r x',
    });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/home/runner' });
  });
});

describe('a plan is checked with the jobs file rules', () => {
  const plan = buildPlan(jobs(`${base}    secrets: [MY_TOKEN]\n    artifacts: [out/]\n`), context());

  /** A plan whose execute node was edited, with its planId recomputed, as an attacker would. */
  const tampered = (edit: (node: Record<string, unknown>) => void): string => {
    const copy = structuredClone(plan) as Plan;
    const node = copy.nodes.find((n) => n.kind === 'execute')! as unknown as Record<string, unknown>;
    edit(node);
    const withId = { ...copy, planId: planIdOf(copy) };
    return `${JSON.stringify(withId, null, 2)}\n`;
  };
  const problemsOf = (text: string): string => refusalOf(() => parsePlan(text, 'plan.json'));

  it('accepts the plan as written', () => {
    expect(parsePlan(serializePlan(plan), 'plan.json').planId).toBe(plan.planId);
  });

  const cases: [string, (node: Record<string, unknown>) => void, RegExp][] = [
    [
      'a working directory outside the workspace',
      (n) => (n.workingDirectory = '../../../../etc'),
      /workingDirectory.*"\.\." is not allowed/,
    ],
    [
      'a working directory that climbs out from inside (src/../../..)',
      (n) => (n.workingDirectory = 'src/../../../etc'),
      /workingDirectory.*"\.\." is not allowed/,
    ],
    [
      'artifacts that climb out from inside (out/../..)',
      (n) => (n.artifacts = ['out/../../.ssh/*']),
      /artifacts\[0\].*"\.\." is not allowed/,
    ],
    [
      'an absolute working directory',
      (n) => (n.workingDirectory = '/etc'),
      /workingDirectory.*absolute path/,
    ],
    [
      'artifacts outside the workspace',
      (n) => (n.artifacts = ['../../.ssh/*']),
      /artifacts\[0\].*"\.\." is not allowed/,
    ],
    ['absolute artifacts', (n) => (n.artifacts = ['/etc/passwd']), /artifacts\[0\].*absolute path/],
    ['vmplan variables in env', (n) => (n.env = { VMPLAN_JOB: 'x' }), /env.*reserved/],
    [
      'runner credentials as secrets',
      (n) => (n.secrets = ['ACTIONS_RUNTIME_TOKEN']),
      /secrets\[0\].*never handed to a job/,
    ],
    ['10000 CPUs', (n) => (n.cpus = 10000), /cpus.*at most 64 CPUs/],
    ['1 MiB of memory', (n) => (n.memory = 1), /memory.*at least 256 MiB/],
    [
      'a timeout beyond what a timer can wait',
      (n) => (n.timeoutMinutes = 40000),
      /timeoutMinutes.*at most 10080 minutes/,
    ],
    [
      'report globs outside the workspace',
      (n) => (n.reports = { junit: ['/tmp/*.xml'] }),
      /reports\.junit\[0\].*absolute path/,
    ],
  ];
  for (const [what, edit, expected] of cases) {
    it(`refuses ${what}, located in the file`, () => {
      expect(problemsOf(tampered(edit))).toMatch(expected);
      expect(problemsOf(tampered(edit))).toMatch(/^plan\.json:\d+:\d+ /);
    });
  }
});
