// The run pipeline stays readable: no function in src/action, src/engine or src/pipeline grows past 60 lines.
import { describe, expect, it } from 'vitest';
import { functionLengths } from '../../scripts/function-lengths.js';

const LIMIT = 60;

describe('function length', () => {
  for (const folder of ['src/action', 'src/engine', 'src/pipeline']) {
    it(`every function in ${folder} has at most ${LIMIT} lines`, () => {
      const lengths = functionLengths(folder);
      expect(lengths.length).toBeGreaterThan(5);
      expect(lengths.filter((entry) => entry.lines > LIMIT)).toEqual([]);
    });
  }
});
