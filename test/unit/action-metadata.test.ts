import { readdirSync, readFileSync } from 'node:fs';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { INPUT_NAMES } from '../../src/action/inputs.js';
import { INPUTS, OUTPUTS } from '../../src/action/metadata.js';
import { updateReadme } from '../../src/action/readme-sections.js';
import {
  expressionInRunProblems,
  node20Problems,
  unknownInputProblems,
  unzippedDownloadProblems,
} from '../support/example-workflows.js';

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
    expect(Object.keys(INPUTS).sort()).toEqual([...INPUT_NAMES].sort());
  });

  it("gives every input the description and default of the action's one declaration (src/action/metadata.ts)", () => {
    const declared = parse(text).inputs as Record<string, { description: string; default?: string }>;
    for (const [name, input] of Object.entries(INPUTS)) {
      expect({
        name,
        description: declared[name]?.description.trim(),
        default: String(declared[name]?.default ?? ''),
      }).toEqual({
        name,
        description: input.description,
        default: input.default,
      });
    }
  });

  it('declares exactly the outputs the action sets, with their descriptions', () => {
    const declared = parse(text).outputs as Record<string, { description: string }>;
    expect(Object.keys(declared).sort()).toEqual(Object.keys(OUTPUTS).sort());
    for (const [name, description] of Object.entries(OUTPUTS))
      expect({ name, description: declared[name]!.description.split(/\s+/).join(' ').trim() }).toEqual({
        name,
        description,
      });
  });

  it('sets outputs only through the declaration (no string literal reaches core.setOutput)', () => {
    const offenders = readdirSync('src', { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && file !== 'action/metadata.ts')
      .filter((file) => readFileSync(`src/${file}`, 'utf8').includes('core.setOutput('));
    expect(offenders).toEqual([]);
  });

  it("the README's generated sections (executors, inputs, outputs) are up to date (npm run docs)", () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toBe(updateReadme(readme, text));
  });
});

/** The example workflows, and the repository's own (which publishes the guest images). */
const WORKFLOWS = [
  ...readdirSync('examples/workflows')
    .filter((name) => name.endsWith('.yml'))
    .map((name) => `examples/workflows/${name}`),
  '.github/workflows/guest-images.yml',
];

describe('example workflows', () => {
  for (const file of WORKFLOWS) {
    it(`${file} passes GitHub's workflow parser`, () => {
      const result = parseWorkflow(
        { name: file, content: readFileSync(file, 'utf8') },
        new NoOperationTraceWriter(),
      );
      expect(errorsOf(result)).toEqual([]);
      expect(result.value).toBeDefined();
    });
  }

  for (const file of WORKFLOWS) {
    it(`${file} gives vmplan only real inputs, and downloads its artifacts with a version that can`, () => {
      const text = readFileSync(file, 'utf8');
      expect(unknownInputProblems(text, INPUT_NAMES)).toEqual([]);
      expect(unzippedDownloadProblems(text)).toEqual([]);
    });
  }

  for (const file of WORKFLOWS) {
    it(`${file} uses node24 actions and keeps expressions out of run: scripts`, () => {
      const text = readFileSync(file, 'utf8');
      expect(node20Problems(text)).toEqual([]);
      expect(expressionInRunProblems(text)).toEqual([]);
    });
  }

  it('those checks catch a node20 checkout and an output pasted into a script', () => {
    const workflow = `on: push
jobs:
  run:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: actions/cache/save@v5
        with: { path: x, key: y }
      - id: vmplan
        uses: OWNER/vmplan@v1
      - run: echo "\${{ steps.vmplan.outputs.results }}"
      - env: { RESULTS: "\${{ steps.vmplan.outputs.results }}" }
        run: echo "$RESULTS"
`;
    expect(node20Problems(workflow)).toEqual([
      'jobs.run.steps[0]: actions/checkout@v4 runs on node20; use actions/checkout@v5 or newer',
    ]);
    expect(expressionInRunProblems(workflow)).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, as the problem quotes it
      'jobs.run.steps[3]: run: has ${{ steps.vmplan.outputs.results }}; pass it through env: and use "$NAME"',
    ]);
  });

  it('those checks catch an old download-artifact fetching a vmplan artifact, and a made-up input', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, as an example writes it
    const planArtifact = '          name: ${{ needs.plan.outputs.plan-artifact }}';
    const workflow = (uses: string, withBlock: string) => `on: push
jobs:
  run:
    runs-on: [self-hosted, macOS]
    steps:
      - uses: ${uses}
        with:
${withBlock}
      - uses: OWNER/vmplan@v1
        with:
          plan: plan.json
          state-folder: /tmp/x
`;
    expect(unzippedDownloadProblems(workflow('actions/download-artifact@v4', planArtifact))).toEqual([
      "jobs.run.steps[0]: actions/download-artifact@v4 cannot download vmplan's unzipped artifacts (it unzips everything); use actions/download-artifact@v8",
    ]);
    expect(
      unzippedDownloadProblems(
        workflow('actions/download-artifact@v7', "          pattern: 'vmplan-results-*'"),
      ),
    ).toHaveLength(1);
    // Every artifact of the run, vmplan's among them.
    expect(
      unzippedDownloadProblems(workflow('actions/download-artifact@v4', '          path: all')),
    ).toHaveLength(1);
    // Someone else's zipped artifact is fine with any version; v8 fetches vmplan's.
    expect(
      unzippedDownloadProblems(workflow('actions/download-artifact@v4', '          name: guest-image')),
    ).toEqual([]);
    expect(unzippedDownloadProblems(workflow('actions/download-artifact@v8', planArtifact))).toEqual([]);
    expect(
      unknownInputProblems(workflow('actions/checkout@v4', '          fetch-depth: 0'), INPUT_NAMES),
    ).toEqual(['jobs.run.steps[1]: vmplan has no input "state-folder"']);
  });

  it('the parser does reject a broken workflow (the check can fail)', () => {
    const result = parseWorkflow(
      { name: 'bad.yml', content: 'on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n' },
      new NoOperationTraceWriter(),
    );
    expect(errorsOf(result).length).toBeGreaterThan(0);
  });
});
