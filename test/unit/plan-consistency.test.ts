// The rules a plan must keep that zod's shapes cannot say, each broken on its own in an otherwise valid plan
// (as a hand-edited plan.json would), with the exact problem it produces.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import { type Plan, planConsistencyProblems } from '../../src/plan/schema.js';
import { context, jobs } from '../support/jobs.js';

const plan = buildPlan(
  jobs(`version: 1
images:
  guest: { arch: arm64, kernel: k, initrd: i }
jobs:
  build: { run: make, executor: host }
  unit: { run: make test, image: guest, executor: qemu, needs: build }
  docs: { run: make docs, executor: host, paths: [docs/**] }
`),
  context({ changes: { known: true, source: 'test', files: ['src/a.c'] } }),
);

/** The plan with one change made to a copy of it. */
function tampered(change: (copy: Plan) => void): Plan {
  const copy = structuredClone(plan);
  change(copy);
  return copy;
}

const node = (copy: Plan, id: string) => copy.nodes.find((candidate) => candidate.id === id)!;

describe('planConsistencyProblems', () => {
  it('finds none in a plan the planner made', () => {
    expect(plan.nodes.map((n) => n.id)).toEqual(['image:guest', 'job:build', 'job:unit']);
    expect(plan.stages).toEqual([['image:guest', 'job:build'], ['job:unit']]);
    expect(plan.excluded.map((entry) => entry.job)).toEqual(['docs']);
    expect(planConsistencyProblems(plan)).toEqual([]);
  });

  const cases: [string, (copy: Plan) => void, string[]][] = [
    [
      'a node listed twice',
      (copy) => {
        copy.nodes.push(structuredClone(node(copy, 'job:unit')));
        copy.stages[1]!.push('job:unit');
      },
      ['node "job:unit" appears twice'],
    ],
    [
      'a node named after something else',
      (copy) => {
        const build = node(copy, 'job:build');
        if (build.kind === 'execute') build.job = 'compile';
      },
      ['node "job:build" should be named "job:compile"'],
    ],
    [
      'outputs received from a job it does not need',
      (copy) => {
        const unit = node(copy, 'job:unit');
        if (unit.kind === 'execute') unit.receives = [{ from: 'docs', paths: ['dist/'] }];
      },
      ['node "job:unit" receives the outputs of "docs" but does not need it'],
    ],
    [
      'a need it does not depend on, its outputs from no earlier run',
      (copy) => {
        const unit = node(copy, 'job:unit');
        unit.dependsOn = unit.dependsOn.filter((id) => id !== 'job:build');
        if (unit.kind === 'execute') unit.receives = [{ from: 'build', paths: ['dist/'] }];
      },
      ['node "job:unit" needs "build" but does not depend on it'],
    ],
    [
      'a dependency that is not in the plan',
      (copy) => node(copy, 'job:unit').dependsOn.push('job:ghost'),
      ['node "job:unit" depends on "job:ghost", which is not in the plan'],
    ],
    [
      'a dependency that comes later',
      (copy) => node(copy, 'job:build').dependsOn.push('job:unit'),
      [
        'node "job:build" depends on "job:unit", which comes after it',
        'node "job:build" is in the same stage as or an earlier stage than its dependency "job:unit"',
      ],
    ],
    [
      'a dependency in the same stage',
      (copy) => {
        copy.stages = [['image:guest', 'job:build', 'job:unit']];
      },
      [
        'node "job:unit" is in the same stage as or an earlier stage than its dependency "image:guest"',
        'node "job:unit" is in the same stage as or an earlier stage than its dependency "job:build"',
      ],
    ],
    [
      'a host command on a VM executor',
      (copy) => {
        const build = node(copy, 'job:build');
        build.executor = 'qemu';
      },
      [
        'node "job:build" has type host_command but executor qemu',
        'node "job:build" runs in a VM but does not depend on its image\'s prepare node',
      ],
    ],
    [
      'a VM job that does not depend on its image',
      (copy) => {
        const unit = node(copy, 'job:unit');
        unit.dependsOn = unit.dependsOn.filter((id) => id !== 'image:guest');
      },
      ['node "job:unit" runs in a VM but does not depend on its image\'s prepare node'],
    ],
    [
      'a need that is not a dependency',
      (copy) => {
        const unit = node(copy, 'job:unit');
        unit.dependsOn = unit.dependsOn.filter((id) => id !== 'job:build');
      },
      ['node "job:unit" needs "build" but does not depend on it'],
    ],
    [
      'stages out of plan order',
      (copy) => {
        copy.stages = [['job:build', 'image:guest'], ['job:unit']];
      },
      ['stages do not list the nodes in plan order'],
    ],
    [
      'a stage missing a node',
      (copy) => {
        copy.stages = [['image:guest', 'job:build']];
      },
      [
        'node "job:unit" is in the same stage as or an earlier stage than its dependency "image:guest"',
        'node "job:unit" is in the same stage as or an earlier stage than its dependency "job:build"',
        'stages do not list the nodes in plan order',
      ],
    ],
    [
      'a job both planned and excluded',
      (copy) => {
        copy.excluded.push({ ...copy.excluded[0]!, job: 'build' });
      },
      ['job "build" is both planned and excluded'],
    ],
  ];

  it.each(cases)('%s', (_name, change, problems) => {
    expect(planConsistencyProblems(tampered(change))).toEqual(problems);
  });
});
