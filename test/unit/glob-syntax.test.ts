import { describe, expect, it } from 'vitest';
import { globSyntaxProblem } from '../../src/config/glob-syntax.js';
import { jobs } from '../support/jobs.js';

describe('glob syntax in the jobs file', () => {
  it('accepts well-formed globs, classes and alternations, escapes and a lone closing bracket', () => {
    for (const glob of [
      'dist/**',
      'src/{a,b}/*.ts',
      'out/[ab].txt',
      'x/[!.]*',
      'x/[]]',
      'a\\[b',
      'a]b',
      'a}b',
      '{a,{b,c}}',
    ])
      expect(globSyntaxProblem(glob), glob).toBeUndefined();
  });

  it('names what is never closed', () => {
    expect(globSyntaxProblem('dist/[**')).toBe('the "[" at position 6 is never closed with "]"');
    expect(globSyntaxProblem('src/{a,b')).toBe('a "{" is never closed with "}"');
    expect(globSyntaxProblem('{a,{b,c}')).toBe('a "{" is never closed with "}"');
    expect(globSyntaxProblem('{{a')).toBe('2 "{" are never closed with "}"');
  });

  it('is a located error in artifacts, reports, outputs and paths', () => {
    expect(() =>
      jobs(`version: 1
jobs:
  build:
    executor: host
    run: make
    artifacts: ["dist/[**"]
    reports: { junit: ["out/{a,b"] }
    paths: ["src/[abc"]
`),
    ).toThrow(
      /jobs\.build\.artifacts\[0\].*expected a valid glob, found "dist\/\[\*\*": the "\[" at position 6 is never closed[\s\S]*jobs\.build\.reports\.junit\[0\].*out\/\{a,b[\s\S]*jobs\.build\.paths\[0\].*src\/\[abc/,
    );
  });
});
