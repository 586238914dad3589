// Where a problem in a plan.json is: line and column of the value, its key, or the nearest thing that exists.
import { describe, expect, it } from 'vitest';
import { JsonLocator } from '../../src/plan/json-locator.js';

const TEXT = ['{', '  "version": 1,', '  "nodes": [', '    { "id": "job:a", "needs": [] }', '  ]', '}'].join(
  '\n',
);

describe('locating a problem in a JSON file', () => {
  const locator = new JsonLocator('plan.json', TEXT);
  const at = (path: (string | number)[], where: 'key' | 'value' = 'value') => {
    const { line, column } = locator.locate({ message: 'm', path, at: where });
    return [line, column];
  };

  it('points at the value, or at its key when the key is the problem', () => {
    expect(at(['version'])).toEqual([2, 14]);
    expect(at(['version'], 'key')).toEqual([2, 3]);
    expect(at(['nodes', 0, 'id'])).toEqual([4, 13]);
    expect(at(['nodes', 0, 'id'], 'key')).toEqual([4, 7]);
  });

  it('points at the nearest thing that exists when the path goes further, and at the start without a path', () => {
    expect(at(['nodes', 0, 'missing'])).toEqual([4, 5]);
    expect(at(['nodes', 3, 'id'])).toEqual([3, 12]);
    expect(at(['nothing', 'here'])).toEqual([1, 1]);
    expect(locator.locate({ message: 'm' })).toEqual({ message: 'm', file: 'plan.json', line: 1, column: 1 });
  });

  it('counts a position at the very start of a line as that line', () => {
    const lines = new JsonLocator('p.json', '[\n1,\n2\n]');
    expect(lines.locate({ message: 'm', path: [0] })).toMatchObject({ line: 2, column: 1 });
    expect(lines.locate({ message: 'm', path: [1] })).toMatchObject({ line: 3, column: 1 });
  });

  it('names only the file when there is no JSON to find anything in', () => {
    expect(new JsonLocator('empty.json', '').locate({ message: 'm', path: ['a'] })).toEqual({
      message: 'm',
      path: ['a'],
      file: 'empty.json',
    });
  });
});

describe("a plan's syntax error", () => {
  it('is the first one, located and in words; none for valid JSON', () => {
    expect(new JsonLocator('p.json', TEXT).syntaxError()).toBeUndefined();
    expect(new JsonLocator('p.json', '{\n  "a": 1,\n}').syntaxError()).toEqual({
      file: 'p.json',
      line: 3,
      column: 1,
      message: 'not a plan: invalid JSON (property name expected)',
    });
    expect(new JsonLocator('p.json', '{ "a": @ }').syntaxError()).toMatchObject({
      line: 1,
      column: 8,
      message: 'not a plan: invalid JSON (unexpected character)',
    });
    expect(new JsonLocator('p.json', '// note\n{}').syntaxError()?.message).toMatch(
      /^not a plan: invalid JSON \(/,
    );
  });
});
