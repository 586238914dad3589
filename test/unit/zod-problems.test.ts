// How schema problems become the messages a user reads, on small schemas of each shape the jobs file uses: the
// union branch a value was meant for, keys suggested inside records and lists, and keyed unions given no mapping.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { branchKeys, zodIssuesToProblems } from '../../src/config/zod-problems.js';
import { jobsErrors } from '../support/jobs.js';

function problems(schema: z.ZodType, input: unknown) {
  const parsed = schema.safeParse(input);
  if (parsed.success) throw new Error('the input was valid');
  return zodIssuesToProblems(parsed.error.issues, schema, input).map(
    (problem) =>
      `${(problem.path ?? []).join('.')}${problem.at === 'key' ? ' (key)' : ''}: ${problem.message}`,
  );
}

describe('a union of objects', () => {
  const union = z.object({
    value: z.union([
      z.strictObject({ name: z.string(), size: z.number() }),
      z.strictObject({ name: z.string(), left: z.number(), right: z.number() }),
    ]),
  });

  it('explains the branch with the fewest problems', () => {
    expect(problems(union, { value: { name: 'x' } })).toEqual(['value: missing required field "size"']);
    expect(problems(union, { value: { name: 'x', left: 1 } })).toEqual([
      'value: missing required field "right"',
    ]);
  });

  it("says the union's own message when no branch stands out", () => {
    // Two problems in each branch: neither is the one meant.
    expect(problems(union, { value: { name: 'x', size: 's', left: 1 } })).toEqual(['value: Invalid input']);
    // The wrong type for every branch.
    expect(problems(union, { value: 7 })).toEqual(['value: Invalid input']);
  });
});

describe('unknown keys', () => {
  it('suggests the known key inside a record of objects and a list of objects', () => {
    const schema = z.strictObject({
      byName: z.record(z.string(), z.strictObject({ timeout: z.number().optional() })),
      list: z.array(z.strictObject({ path: z.string().optional() })),
    });
    expect(problems(schema, { byName: { a: { timeuot: 1 } }, list: [{ pathh: 'x' }] })).toEqual([
      'byName.a.timeuot (key): unknown key "timeuot" (did you mean "timeout"?)',
      'list.0.pathh (key): unknown key "pathh" (did you mean "path"?)',
    ]);
  });
});

describe('a keyed union (image definitions)', () => {
  const keyed = z
    .union([
      z.strictObject({ kernel: z.string(), initrd: z.string() }),
      z.strictObject({ build: z.string() }),
    ])
    .register(branchKeys, { branches: [['kernel', 'initrd'], ['build']], describe: 'files or build' });
  const schema = z.strictObject({ image: keyed.optional() });

  it('names the first key of each branch it found, once per branch', () => {
    expect(problems(schema, { image: { kernel: 'k', initrd: 'i', build: 'b' } })).toEqual([
      'image: expected exactly one of files or build; found "kernel" and "build"',
    ]);
    expect(problems(schema, { image: { other: 1 } })).toEqual([
      'image: expected exactly one of files or build; found none of them',
    ]);
  });

  it("explains a list or a word given for one with the union's own message, not as a mapping", () => {
    for (const value of [['kernel'], 'kernel']) {
      const [message] = problems(schema, { image: value });
      expect(message).toMatch(/^image: /);
      expect(message).not.toContain('exactly one of');
    }
  });

  it('in a real jobs file too', () => {
    expect(
      jobsErrors('version: 1\nimages:\n  d: [kernel, initrd]\njobs:\n  a: { run: x, executor: host }\n'),
    ).toEqual([
      '.github/vmplan.yml:3:6 images.d: expected an image definition (a mapping with kernel and initrd, build, nix or oci), found a list',
    ]);
  });
});
