import { readdirSync, readFileSync } from 'node:fs';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { updateReadme } from '../../src/action/action-docs.js';
import { INPUT_NAMES } from '../../src/action/inputs.js';

const errorsOf = (result: { context: { errors: { getErrors(): { message: string }[] } } }) =>
  result.context.errors.getErrors().map((error) => error.message);

describe('action.yml', () => {
  const text = readFileSync('action.yml', 'utf8');

  it("passes GitHub's own action parser, as a node24 action with a post step", () => {
    const result = parseAction({ name: 'action.yml', content: text }, new NoOperationTraceWriter());
    expect(errorsOf(result)).toEqual([]);
    const action = parse(text);
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js', post: 'dist/post.js' });
  });

  it('declares exactly the inputs the action reads', () => {
    expect(Object.keys(parse(text).inputs).sort()).toEqual([...INPUT_NAMES].sort());
  });

  it('the README tables are generated from it (npm run docs)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toBe(updateReadme(readme, text));
  });
});

describe('example workflows', () => {
  for (const file of readdirSync('examples/workflows').filter((name) => name.endsWith('.yml'))) {
    it(`examples/workflows/${file} passes GitHub's workflow parser`, () => {
      const result = parseWorkflow(
        { name: file, content: readFileSync(`examples/workflows/${file}`, 'utf8') },
        new NoOperationTraceWriter(),
      );
      expect(errorsOf(result)).toEqual([]);
      expect(result.value).toBeDefined();
    });
  }

  it('the parser does reject a broken workflow (the check can fail)', () => {
    const result = parseWorkflow(
      { name: 'bad.yml', content: 'on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n' },
      new NoOperationTraceWriter(),
    );
    expect(errorsOf(result).length).toBeGreaterThan(0);
  });
});
