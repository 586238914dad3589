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

describe("CI's mutation gate", () => {
  it('tests the modules a change touched, with the config’s own globs', async () => {
    const { touchedModules, mutateGlobs } = await import('../../scripts/mutate-changed.js');
    expect(
      touchedModules(['src/plan/build.ts', 'src/plan/io.ts', 'src/cli/run-cli.ts', 'src/util/bytes.ts']),
    ).toEqual(['plan', 'util']);
    expect(touchedModules(['src/cli/run-cli.ts', 'README.md'])).toEqual([]);
    const globs = [
      'src/plan/**/*.ts',
      'src/util/**/*.ts',
      'src/executors/job-env.ts',
      'src/executors/qemu/args.ts',
    ];
    expect(mutateGlobs(globs, ['executors', 'util'])).toEqual([
      'src/util/**/*.ts',
      'src/executors/job-env.ts',
      'src/executors/qemu/args.ts',
    ]);
  });

  it('fails a module below its own threshold, 85% for a module without one', async () => {
    const { belowThreshold } = await import('../../scripts/mutate-changed.js');
    expect(
      belowThreshold(
        [
          { module: 'plan', score: 79.5 },
          { module: 'util', score: 84.9 },
          { module: 'report', score: 91 },
        ],
        { plan: 78, report: 85 },
      ),
    ).toEqual(['util: mutation score 84.9% is below its threshold 85%']);
  });
});
