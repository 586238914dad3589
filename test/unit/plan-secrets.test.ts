// The secrets a plan names: their values (to keep them out of plan.json and mask them) are exactly those of the
// runner variables the plan's jobs name under `secrets:` that are set, and nothing else of the environment.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import { serializePlan } from '../../src/plan/io.js';
import { secretNamesOf, secretValuesOf } from '../../src/plan/secrets.js';
import { context, jobs } from '../support/jobs.js';

const plan = buildPlan(
  jobs(`version: 1
defaults: { executor: host }
jobs:
  deploy: { run: "deploy --token s3cr3t-value", secrets: [DEPLOY_TOKEN, NPM_TOKEN] }
  unit: { run: make test, secrets: [NPM_TOKEN, EMPTY_TOKEN] }
  lint: { run: make lint }
`),
  context(),
);

describe('the secrets of a plan', () => {
  it('names every runner variable a job names under secrets:, once', () => {
    expect([...secretNamesOf(plan)].sort()).toEqual(['DEPLOY_TOKEN', 'EMPTY_TOKEN', 'NPM_TOKEN']);
  });

  it('takes the values of those that are set, none of an unset or empty one, and nothing else of the environment', () => {
    const env = {
      DEPLOY_TOKEN: 's3cr3t-value',
      NPM_TOKEN: 'npm-token-1',
      EMPTY_TOKEN: '',
      HOME: '/home/runner',
    };
    expect(secretValuesOf(plan, env).sort()).toEqual(['npm-token-1', 's3cr3t-value']);
    expect(secretValuesOf(plan, { HOME: '/home/runner' })).toEqual([]);
  });

  it('keeps a secret value expanded into the jobs file out of plan.json', () => {
    expect(() => serializePlan(plan, secretValuesOf(plan, { DEPLOY_TOKEN: 's3cr3t-value' }))).toThrow(
      'the plan would contain the value of a secret (was a secret expanded into the jobs definition? ' +
        'pass secrets by name with `secrets:` instead); nothing was written',
    );
    // The control: the same plan is written when that variable holds something else.
    expect(() => serializePlan(plan, secretValuesOf(plan, { DEPLOY_TOKEN: 'another-value' }))).not.toThrow();
  });
});
