// The values the action's inputs take and refuse (src/action/inputs.ts), beyond test/unit/action-inputs.test.ts:
// each accepted spelling, and each refusal naming the input and what was found.
import { describe, expect, it } from 'vitest';
import { readInputs } from '../../src/action/inputs.js';

const read = (values: Record<string, string>) =>
  readInputs((name) => values[name] ?? '', { stateDir: '/tmp/runner/vmplan' });

describe('action input values', () => {
  it('reads true, yes and 1 (any case) as true; false, no, 0 and nothing as false', () => {
    for (const yes of ['true', 'TRUE', 'yes', '1', ' Yes '])
      expect(read({ 'plan-only': yes })['plan-only'], yes).toBe(true);
    for (const no of ['false', 'No', '0', '']) expect(read({ 'plan-only': no })['plan-only'], no).toBe(false);
  });

  it('takes max-parallel only as a positive whole number: 0 would run nothing', () => {
    expect(read({ 'max-parallel': '12' })['max-parallel']).toBe(12);
    expect(read({})['max-parallel']).toBeUndefined();
    for (const bad of ['0', '-1', '2.5', '07'])
      expect(() => read({ 'max-parallel': bad }), bad).toThrow(
        `input "max-parallel": expected a positive whole number, found "${bad}"`,
      );
  });

  it('takes a workflow run id only as a number', () => {
    expect(read({ 'rerun-failed-from': ' 8123 ' })['rerun-failed-from']).toBe(8123);
    expect(read({ 'results-from': '77' })['results-from']).toBe(77);
    for (const bad of ['run-8123', '8123abc', '12 34'])
      expect(() => read({ 'results-from': bad }), bad).toThrow(
        `input "results-from": expected a workflow run id (a number), found "${bad}"`,
      );
  });

  it('takes a plan with the default jobs input, but not with rerun-failed-from', () => {
    expect(read({ plan: 'plan.json', jobs: '.github/vmplan.yml' }).plan).toBe('plan.json');
    expect(() => read({ plan: 'plan.json', 'rerun-failed-from': '5' })).toThrow(
      'inputs "plan" and "rerun-failed-from" both given: give one of them',
    );
  });
});
