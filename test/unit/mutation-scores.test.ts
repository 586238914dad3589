import { describe, expect, it } from 'vitest';
import { moduleOf, moduleScores } from '../../scripts/mutation-scores.js';

describe('mutation scores per module', () => {
  it('maps source paths to core modules, and nothing else', () => {
    expect(moduleOf('src/plan/build.ts')).toBe('plan');
    expect(moduleOf('/work/main/src/executors/vm/guest-result.ts')).toBe('executors');
    expect(moduleOf('src/cli/run-cli.ts')).toBeUndefined();
    expect(moduleOf('test/unit/plan.test.ts')).toBeUndefined();
  });

  it('scores killed and timed-out mutants over everything tested, leaving compile errors out', () => {
    const scores = moduleScores({
      files: {
        'src/plan/a.ts': { mutants: [{ status: 'Killed' }, { status: 'Timeout' }, { status: 'Survived' }] },
        'src/plan/b.ts': {
          mutants: [{ status: 'NoCoverage' }, { status: 'CompileError' }, { status: 'Ignored' }],
        },
        'src/util/c.ts': { mutants: [{ status: 'Killed' }] },
        'src/cli/d.ts': { mutants: [{ status: 'Survived' }] },
      },
    });
    expect(scores).toEqual([
      { module: 'plan', detected: 2, survived: 1, noCoverage: 1, score: 50 },
      { module: 'util', detected: 1, survived: 0, noCoverage: 0, score: 100 },
    ]);
  });
});
