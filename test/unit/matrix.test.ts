import { describe, expect, it } from 'vitest';
import {
  type Combination,
  expandJobs,
  matrixCombinations,
  substitute,
  variantIds,
  variantName,
} from '../../src/config/matrix.js';
import type { Matrix } from '../../src/config/schema.js';
import type { Problem } from '../../src/errors.js';
import { jobs, jobsErrors } from '../support/jobs.js';

// zod's type for a mapping with both known keys and axes is awkward to write by hand; the schema checks real ones.
const combinations = (matrix: Record<string, unknown>) => {
  const problems: Problem[] = [];
  const result = matrixCombinations(matrix as Matrix, ['jobs', 't', 'matrix'], problems);
  return { values: result.map((combination) => combination.values), problems };
};

describe('matrixCombinations', () => {
  it('is the product of the axes, in the order the file gives them', () => {
    expect(combinations({ node: [20, 22], arch: ['arm64', 'amd64'] }).values).toEqual([
      { node: 20, arch: 'arm64' },
      { node: 20, arch: 'amd64' },
      { node: 22, arch: 'arm64' },
      { node: 22, arch: 'amd64' },
    ]);
  });

  it("follows GitHub's include rules: extra keys join matching combinations, never overwriting axis values", () => {
    // The example of GitHub's documentation ("Example: Expanding configurations"), with its documented result.
    const { values } = combinations({
      fruit: ['apple', 'pear'],
      animal: ['cat', 'dog'],
      include: [
        { color: 'green' },
        { color: 'pink', animal: 'cat' },
        { fruit: 'apple', shape: 'circle' },
        { fruit: 'banana' },
        { fruit: 'banana', animal: 'cat' },
      ],
    });
    expect(values).toEqual([
      { fruit: 'apple', animal: 'cat', color: 'pink', shape: 'circle' },
      { fruit: 'apple', animal: 'dog', color: 'green', shape: 'circle' },
      { fruit: 'pear', animal: 'cat', color: 'pink' },
      { fruit: 'pear', animal: 'dog', color: 'green' },
      { fruit: 'banana' },
      { fruit: 'banana', animal: 'cat' },
    ]);
  });

  it('excludes every combination matching all the values of an entry (partial matches too), before includes', () => {
    const { values } = combinations({
      os: ['debian', 'alpine'],
      node: [20, 22],
      exclude: [{ os: 'alpine', node: 20 }],
      include: [{ os: 'alpine', node: 20, experimental: true }],
    });
    expect(values).toEqual([
      { os: 'debian', node: 20 },
      { os: 'debian', node: 22 },
      { os: 'alpine', node: 22 },
      { os: 'alpine', node: 20, experimental: true },
    ]);
    expect(combinations({ os: ['a', 'b'], node: [1, 2], exclude: [{ os: 'a' }] }).values).toEqual([
      { os: 'b', node: 1 },
      { os: 'b', node: 2 },
    ]);
  });

  it('refuses more than 256 combinations, an exclude naming no axis, and a matrix left empty', () => {
    const many = Array.from({ length: 17 }, (_, index) => index);
    expect(combinations({ a: many, b: many }).problems).toEqual([
      {
        path: ['jobs', 't', 'matrix'],
        message: 'the matrix makes 289 combinations; at most 256 are allowed: split the job or exclude some',
      },
    ]);
    expect(combinations({ a: many.slice(0, 16), b: many.slice(0, 16) }).problems).toEqual([]);
    const huge = Array.from({ length: 1000 }, (_, index) => index);
    expect(combinations({ a: huge, b: huge, c: huge }).problems[0]!.message).toMatch(/makes 1000000000 /);
    expect(combinations({ a: [1], exclude: [{ a: 1 }, { b: 2 }] }).problems.map((p) => p.message)).toEqual([
      'exclude names "b", which is not an axis of the matrix (did you mean "a"?)',
      'the matrix makes no combinations (every one is excluded)',
    ]);
    expect(combinations({ 'fail-fast': false }).problems.map((p) => p.message)).toEqual([
      'the matrix has no axes: expected at least one axis (name: [values]) or include',
    ]);
    // Without axes, every include entry is a combination of its own, named by its keys.
    expect(combinations({ include: [{ os: 'a' }, { os: 'b', n: 1 }] }).values).toEqual([
      { os: 'a' },
      { os: 'b', n: 1 },
    ]);
  });
});

describe('variant names and ids', () => {
  const combination = (values: Combination['values'], named = Object.keys(values)): Combination => ({
    values,
    named,
  });

  it('names a variant by its values: strings as they are, numbers and booleans after their axis', () => {
    expect(variantName('test', combination({ node: 22, arch: 'arm64' }))).toBe('test (node 22, arm64)');
    expect(variantName('test', combination({ debug: true }))).toBe('test (debug true)');
    expect(variantIds('test', [combination({ node: 22, arch: 'arm64' })])).toEqual(['test-node-22-arm64']);
  });

  it('slugs values into safe ids, and hashes ids that would collide or be too long, deterministically', () => {
    const ids = variantIds('test', [
      combination({ os: 'Ubuntu 24.04' }),
      combination({ os: 'a b' }),
      combination({ os: 'a-b' }),
      combination({ os: 'x'.repeat(80) }),
    ]);
    expect(ids[0]).toBe('test-ubuntu-24-04');
    expect(ids[1]).toMatch(/^test-a-b-[0-9a-f]{8}$/);
    expect(ids[2]).toMatch(/^test-a-b-[0-9a-f]{8}$/);
    expect(ids[1]).not.toBe(ids[2]);
    expect(ids[3]!.length).toBeLessThanOrEqual(63);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9][a-z0-9_-]{0,62}$/);
    expect(variantIds('test', [combination({ os: 'a b' }), combination({ os: 'a-b' })])).toEqual(
      ids.slice(1, 3),
    );
  });

  it('keeps an id of 63 characters, the most a job id may have, and hashes one of 64', () => {
    const [longest, tooLong] = variantIds('test', [
      combination({ os: 'x'.repeat(58) }),
      combination({ os: 'y'.repeat(59) }),
    ]);
    expect(longest).toBe(`test-${'x'.repeat(58)}`);
    expect(longest).toHaveLength(63);
    expect(tooLong).toMatch(new RegExp(`^test-${'y'.repeat(49)}-[0-9a-f]{8}$`));
  });
});

describe('substitute', () => {
  it('replaces ${{ matrix.AXIS }} (spaces optional) and says which axis is unknown', () => {
    const problems: Problem[] = [];
    expect(
      substitute('node ${{matrix.node}} on ${{ matrix.arch }}', { node: 22, arch: 'arm64' }, [], problems),
    ).toBe('node 22 on arm64');
    substitute('${{ matrix.nodee }}', { node: 22 }, ['jobs', 't', 'run'], problems);
    substitute('${{ matrix.node }}', undefined, ['jobs', 'u', 'run'], problems);
    expect(problems).toEqual([
      {
        path: ['jobs', 't', 'run'],
        message: '${{ matrix.nodee }}: unknown matrix axis "nodee" (did you mean "node"?)',
      },
      { path: ['jobs', 'u', 'run'], message: '${{ matrix.node }}: this job has no matrix' },
    ]);
  });
});

describe('expandJobs', () => {
  it('makes one concrete job per combination, with every allowed field substituted', () => {
    const config = jobs(`version: 1
images:
  debian-12: { arch: arm64, nix: .#d12 }
  debian-13: { arch: arm64, nix: .#d13 }
jobs:
  test:
    matrix: { suite: [12, 13], cpus: [2] }
    image: debian-\${{ matrix.suite }}
    run: echo \${{ matrix.suite }}
    description: on \${{ matrix.suite }}
    cpus: \${{ matrix.cpus }}
    env: { SUITE: "s\${{ matrix.suite }}", N: 1 }
    artifacts: ["out/\${{ matrix.suite }}/**"]
    reports: { junit: ["r-\${{ matrix.suite }}.xml"] }
    paths: ["src/\${{ matrix.suite }}/**"]
`);
    const { variants, problems } = expandJobs(config);
    expect(problems).toEqual([]);
    const [first] = variants.get('test')!;
    expect(first).toMatchObject({
      id: 'test-suite-12-cpus-2',
      job: 'test',
      name: 'test (suite 12, cpus 2)',
      values: { suite: 12, cpus: 2 },
      definition: {
        image: 'debian-12',
        run: 'echo 12',
        description: 'on 12',
        cpus: 2,
        env: { SUITE: 's12', N: 1 },
        artifacts: ['out/12/**'],
        reports: { junit: ['r-12.xml'] },
        paths: ['src/12/**'],
      },
    });
    expect(first!.definition).not.toHaveProperty('matrix');
  });
});

describe('matrix errors in a jobs file, located', () => {
  it('says where an unknown axis, a misplaced substitution, a bad image or value and a clash are', () => {
    expect(
      jobsErrors(`version: 1
images:
  debian-12: { arch: arm64, nix: .#d12 }
defaults: { executor: qemu, env: { A: "\${{ matrix.x }}" } }
jobs:
  test:
    matrix: { suite: [12, 14], fail-fast: false }
    image: debian-\${{ matrix.suite }}
    run: echo \${{ matrix.suit }}
    outputs: ["out/\${{ matrix.suite }}"]
    memory: \${{ matrix.suite }}
  plain:
    executor: host
    run: echo \${{ matrix.suite }}
  test-suite-12: { run: x, image: debian-12 }
  big:
    matrix: { a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17], b: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16] }
    run: x
    image: debian-12
`),
    ).toEqual(
      [
        ".github/vmplan.yml:4:39 defaults.env.A: ${{ matrix.… }} is not allowed here: only in a job's run, env, image, description, cpus, memory, paths, artifacts, reports",
        '.github/vmplan.yml:7:13 jobs.test.matrix: variant "test (suite 12)" would be the job "test-suite-12", which is the job "test-suite-12": rename a job',
        '.github/vmplan.yml:9:10 jobs.test.run: ${{ matrix.suit }}: unknown matrix axis "suit" (did you mean "suite"?)',
        ".github/vmplan.yml:10:15 jobs.test.outputs[0]: ${{ matrix.… }} is not allowed here: only in a job's run, env, image, description, cpus, memory, paths, artifacts, reports",
        '.github/vmplan.yml:11:13 jobs.test.memory: variant "test (suite 14)": expected at least 256 MiB, found 14',
        '.github/vmplan.yml:8:12 jobs.test.image: variant "test (suite 14)": unknown image "debian-14" (did you mean "debian-12"?)',
        '.github/vmplan.yml:14:10 jobs.plain.run: ${{ matrix.suite }}: this job has no matrix',
        '.github/vmplan.yml:17:13 jobs.big.matrix: the matrix makes 272 combinations; at most 256 are allowed: split the job or exclude some',
      ].sort(byLine),
    );
  });

  it('checks the matrix block itself with the schema: lists of plain values, at least one each', () => {
    expect(
      jobsErrors(`version: 1
defaults: { executor: host }
jobs:
  t:
    matrix: { a: [], b: 3, c: [{ x: 1 }], include: [3], fail-fast: "no" }
    run: x
`),
    ).toEqual([
      '.github/vmplan.yml:5:18 jobs.t.matrix.a: expected at least one value',
      '.github/vmplan.yml:5:25 jobs.t.matrix.b: expected a list of values, found 3',
      '.github/vmplan.yml:5:32 jobs.t.matrix.c[0]: expected a string, number or boolean, found a mapping',
      '.github/vmplan.yml:5:53 jobs.t.matrix.include[0]: expected a mapping of axis: value, found 3',
      '.github/vmplan.yml:5:68 jobs.t.matrix.fail-fast: expected true or false, found "no"',
    ]);
  });
});

/** Sorts "file:line:column …" lines by line then column, as the parser reports them. */
function byLine(a: string, b: string): number {
  const at = (line: string) => line.split(' ')[0]!.split(':').slice(1).map(Number) as [number, number];
  const [la, ca] = at(a);
  const [lb, cb] = at(b);
  return la - lb || ca - cb;
}
