import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
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

describe('the mutation tool (npm run mutate)', () => {
  it("names the same modules as Stryker's configuration, and refuses an unknown one", async () => {
    const { MODULES } = await import('../../scripts/mutation-scores.js');
    const config = await import('../../stryker.config.mjs' as string);
    expect(Object.keys(config.MODULES).sort()).toEqual([...MODULES].sort());
    const { chosenModules } = await import('../../scripts/mutate.js');
    expect(chosenModules([])).toEqual([...MODULES]);
    expect(chosenModules(['util', '--dry-run', 'plan'])).toEqual(['util', 'plan']);
    expect(() => chosenModules(['utils'])).toThrow('no module "utils"');
  });

  it('forgets only the timed-out mutants of a baseline, so a later run tests them again', async () => {
    const { withoutTimeouts } = await import('../../scripts/mutate.js');
    const report = {
      schemaVersion: '2',
      files: {
        'src/a.ts': {
          source: 'x',
          mutants: [{ status: 'Killed' }, { status: 'Timeout' }, { status: 'Survived' }],
        },
        'src/b.ts': { source: 'y', mutants: [{ status: 'Timeout' }] },
      },
    };
    expect(withoutTimeouts(report)).toEqual({
      report: {
        schemaVersion: '2',
        files: {
          'src/a.ts': { source: 'x', mutants: [{ status: 'Killed' }, { status: 'Survived' }] },
          'src/b.ts': { source: 'y', mutants: [] },
        },
      },
      dropped: 2,
    });
  });

  const mutant = (coveredBy: string[]) => ({ status: 'Killed', coveredBy });
  const baseline = {
    files: {
      'src/plan/a.ts': { source: 'a1\na2', mutants: [mutant(['1']), mutant(['2']), mutant([])] },
      'src/plan/b.ts': { source: 'b1\nb2', mutants: [mutant(['1', '3']), mutant(['3'])] },
    },
    testFiles: {
      'test/one.test.ts': { source: 'one', tests: [{ id: '1' }, { id: '2' }] },
      'test/three.test.ts': { source: 'three', tests: [{ id: '3' }] },
    },
  };

  it('estimates nothing to test when no source and no covering test changed', async () => {
    const { estimateRetest } = await import('../../scripts/mutation-estimate.js');
    const estimate = estimateRetest(
      baseline,
      { 'src/plan/a.ts': 'a1\na2', 'src/plan/b.ts': 'b1\nb2' },
      { 'test/one.test.ts': 'one', 'test/three.test.ts': 'three', 'test/other.test.ts': 'x' },
    );
    expect(estimate).toEqual({
      known: 5,
      toTest: 0,
      byFile: { 'src/plan/a.ts': 0, 'src/plan/b.ts': 0 },
      changedSources: [],
      newSources: [],
      changedTests: [],
    });
  });

  it('counts every mutant of a changed file, and in unchanged files those a changed test covered', async () => {
    const { estimateRetest } = await import('../../scripts/mutation-estimate.js');
    // a.ts changed (3 mutants); in b.ts only the mutant covered by test 1 of the changed one.test.ts.
    const estimate = estimateRetest(
      baseline,
      { 'src/plan/a.ts': 'a1\nchanged', 'src/plan/b.ts': 'b1\nb2' },
      { 'test/one.test.ts': 'one, edited', 'test/three.test.ts': 'three' },
    );
    expect(estimate).toMatchObject({
      toTest: 4,
      byFile: { 'src/plan/a.ts': 3, 'src/plan/b.ts': 1 },
      changedSources: ['src/plan/a.ts'],
      changedTests: ['test/one.test.ts'],
    });
    // A removed test file counts as changed: what it killed must be tested again.
    expect(
      estimateRetest(
        baseline,
        { 'src/plan/a.ts': 'a1\na2', 'src/plan/b.ts': 'b1\nb2' },
        { 'test/one.test.ts': 'one' },
      ),
    ).toMatchObject({ toTest: 2, changedTests: ['test/three.test.ts'] });
  });

  it("estimates a new file's mutants from the module's mutants per line, and everything without a baseline", async () => {
    const { estimateRetest } = await import('../../scripts/mutation-estimate.js');
    // 5 mutants over 4 lines: a new 8-line file is about 10.
    const sources = {
      'src/plan/a.ts': 'a1\na2',
      'src/plan/b.ts': 'b1\nb2',
      'src/plan/c.ts': '1\n2\n3\n4\n5\n6\n7\n8',
    };
    expect(
      estimateRetest(baseline, sources, { 'test/one.test.ts': 'one', 'test/three.test.ts': 'three' }),
    ).toMatchObject({
      toTest: 10,
      newSources: ['src/plan/c.ts'],
    });
    expect(estimateRetest(undefined, sources, {})).toMatchObject({
      known: 0,
      newSources: Object.keys(sources),
    });
  });

  it("times an estimate at the pace of the module's last timed run, else a default pace", async () => {
    const { estimateMinutes, DEFAULT_SECONDS_PER_MUTANT, describeEstimate } = await import(
      '../../scripts/mutation-estimate.js'
    );
    const record = { score: 80, detected: 8, survived: 2, noCoverage: 0, commit: 'abc', date: '2026-12-07' };
    // 600 mutants in 20 minutes: 2 s each, so 300 mutants take 10 minutes.
    expect(estimateMinutes(300, { engine: { ...record, minutes: 20, tested: 600 } }, 'engine')).toBe(10);
    expect(estimateMinutes(300, { engine: { ...record, minutes: null, tested: null } }, 'engine')).toBe(
      Math.ceil((300 * DEFAULT_SECONDS_PER_MUTANT) / 60),
    );
    expect(
      describeEstimate(
        'plan',
        {
          known: 90,
          toTest: 12,
          byFile: {},
          changedSources: ['a'],
          newSources: [],
          changedTests: ['t', 'u'],
        },
        3,
      ),
    ).toBe('plan: 12 of 90 mutants to test (1 source file(s) changed, 2 test file(s) changed), ≈ 3 min');
  });
});

describe('a long module tested in parts', () => {
  it('packs whole files in path order into parts within the budget, every file in one part', async () => {
    const { splitIntoParts } = await import('../../scripts/mutation-estimate.js');
    // 6 s per mutant: 100 mutants are 10 minutes.
    const parts = splitIntoParts(
      { 'src/r/d.ts': 100, 'src/r/a.ts': 150, 'src/r/b.ts': 0, 'src/r/c.ts': 110, 'src/r/e.ts': 300 },
      6,
      25,
    );
    expect(parts).toEqual([
      { files: ['src/r/a.ts', 'src/r/b.ts'], minutes: 15 },
      { files: ['src/r/c.ts', 'src/r/d.ts'], minutes: 21 },
      // One file over the budget is a part of its own: a line range could leave a spanning mutant out of every part.
      { files: ['src/r/e.ts'], minutes: 30 },
    ]);
    const all = parts.flatMap((part) => part.files);
    expect(all.sort()).toEqual(['src/r/a.ts', 'src/r/b.ts', 'src/r/c.ts', 'src/r/d.ts', 'src/r/e.ts']);
    // A module within the budget is one part.
    expect(splitIntoParts({ 'src/r/a.ts': 10, 'src/r/b.ts': 10 }, 6, 25)).toHaveLength(1);
  });

  it("gives Stryker only a part's files, and refuses a file of another module", async () => {
    const load = async (module: string, files: string) => {
      process.env.VMPLAN_MUTATE_MODULE = module;
      process.env.VMPLAN_MUTATE_FILES = files;
      try {
        // The configuration reads the environment when it loads: load it afresh each time.
        vi.resetModules();
        const config = await import('../../stryker.config.mjs' as string);
        return config.default as { mutate: string[]; incrementalFile: string };
      } finally {
        delete process.env.VMPLAN_MUTATE_MODULE;
        delete process.env.VMPLAN_MUTATE_FILES;
      }
    };
    const config = await load('report', 'src/report/summary.ts\nsrc/report/timeline.ts');
    expect(config.mutate).toEqual(['src/report/summary.ts', 'src/report/timeline.ts']);
    // The module's own baseline: Stryker keeps its results for the files outside this part.
    expect(config.incrementalFile).toBe('test/mutation/report.json');
    await expect(load('report', 'src/report/summary.ts\nsrc/plan/build.ts')).rejects.toThrow(
      'not files of module "report": src/plan/build.ts',
    );
    await expect(load('executors', 'src/executors/qemu/args.ts\nsrc/executors/vm/runner.ts')).rejects.toThrow(
      'src/executors/vm/runner.ts',
    );
    expect((await load('executors', 'src/executors/qemu/args.ts')).mutate).toEqual([
      'src/executors/qemu/args.ts',
    ]);
  });
});

describe('the committed scores file', () => {
  const record = (score: number) => ({
    score,
    detected: 1,
    survived: 0,
    noCoverage: 0,
    commit: 'abc123',
    date: '2026-12-07',
    minutes: 4.5,
    tested: 100,
  });

  it('keeps one record per module in the fixed module order, and round-trips through the file', async () => {
    const { withModuleRecord, writeScores, readScores, MODULES } = await import(
      '../../scripts/mutation-scores.js'
    );
    const scores = withModuleRecord(withModuleRecord({}, 'workspace', record(60)), 'config', record(90));
    expect(Object.keys(scores)).toEqual(['config', 'workspace']);
    expect(Object.keys(scores)).toEqual(MODULES.filter((module) => module in scores));
    const dir = mkdtempSync(join(tmpdir(), 'scores-'));
    writeScores(scores, join(dir, 'scores.json'));
    expect(readScores(join(dir, 'scores.json'))).toEqual(scores);
    expect(readScores(join(dir, 'none.json'))).toEqual({});
  });

  it('refuses a scores file of another shape, naming the file and the field', async () => {
    const { readScores } = await import('../../scripts/mutation-scores.js');
    const dir = mkdtempSync(join(tmpdir(), 'scores-'));
    writeFileSync(join(dir, 'scores.json'), JSON.stringify({ engine: { ...record(50), score: 'high' } }));
    expect(() => readScores(join(dir, 'scores.json'))).toThrow(
      /scores\.json: not a scores file: .*engine\.score/,
    );
  });

  it('is checked against floors only where a module has both, and prints every module', async () => {
    const { belowFloor, scoresTable } = await import('../../scripts/mutation-scores.js');
    const scores = { plan: record(76.9), util: record(90), report: record(40) };
    expect(belowFloor(scores, { plan: 77, util: 90, engine: 99 })).toEqual([
      'plan: mutation score 76.9% is below its floor 77%',
    ]);
    const table = scoresTable(scores, { plan: 77 }, { plan: 'current' }).split('\n');
    expect(table).toHaveLength(2 + 9);
    expect(table).toContain('| plan | 76.9% | 0 | abc123 2026-12-07 | 4.5 min | 77% | current |');
    expect(table).toContain('| engine | not measured | — | — | — | — | — |');
    const inParts = { report: { ...record(80), minutes: 61.5, parts: 3, longestPartMinutes: 24.2 } };
    expect(scoresTable(inParts, {}, {})).toContain('| 61.5 min in 3 parts (longest 24.2 min) |');
  });
});
