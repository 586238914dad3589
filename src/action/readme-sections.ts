import { parse } from 'yaml';
import { EXECUTORS } from '../executors/catalog.js';

interface ActionMetadata {
  inputs?: Record<string, { description?: string; default?: string; required?: boolean }>;
  outputs?: Record<string, { description?: string }>;
}

/** A part of the README made from a source of truth, between `<!-- name:start … -->` and `<!-- name:end -->`. */
export interface ReadmeSection {
  name: string;
  /** Where its content comes from, said in the start marker. */
  source: string;
  render(actionYaml: string): string;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ').trim();

/** The README's inputs and outputs tables, generated from action.yml so they never drift. */
export function actionTables(actionYaml: string): string {
  const action = parse(actionYaml) as ActionMetadata;
  const inputs = Object.entries(action.inputs ?? {}).map(
    ([name, input]) =>
      `| \`${name}\` | ${cell(input.description ?? '')} | ${input.default === undefined || input.default === '' ? '' : `\`${cell(input.default)}\``} |`,
  );
  const outputs = Object.entries(action.outputs ?? {}).map(
    ([name, output]) => `| \`${name}\` | ${cell(output.description ?? '')} |`,
  );
  return [
    '### Inputs',
    '',
    '| input | description | default |',
    '| --- | --- | --- |',
    ...inputs,
    '',
    '### Outputs',
    '',
    '| output | description |',
    '| --- | --- |',
    ...outputs,
  ].join('\n');
}

/** The README's executors table, one row per executor of the executor table. */
export function executorsTable(): string {
  return [
    '| executor | where | isolation | notes |',
    '| --- | --- | --- | --- |',
    ...EXECUTORS.map(
      (executor) =>
        `| \`${executor.name}\` | ${cell(executor.docs.where)} | ${cell(executor.docs.isolation)} | ${cell(executor.docs.notes)} |`,
    ),
  ].join('\n');
}

/** Every generated part of the README. */
export const README_SECTIONS: readonly ReadmeSection[] = [
  { name: 'executors', source: 'src/executors/*/descriptor.ts', render: () => executorsTable() },
  { name: 'action-tables', source: 'action.yml', render: actionTables },
];

/** The markers around one generated section. */
export function sectionMarkers(section: ReadmeSection): { start: string; end: string } {
  return {
    start: `<!-- ${section.name}:start (generated from ${section.source}: npm run docs) -->`,
    end: `<!-- ${section.name}:end -->`,
  };
}

/** The README with every generated section (by default the action's and the executors') replaced by a fresh one. */
export function updateReadme(
  readme: string,
  actionYaml: string,
  sections: readonly ReadmeSection[] = README_SECTIONS,
): string {
  let updated = readme;
  for (const section of sections) {
    const { start, end } = sectionMarkers(section);
    const from = updated.indexOf(start);
    const to = updated.indexOf(end);
    if (from === -1 || to === -1 || to < from)
      throw new Error(`README.md has no ${section.name} markers (${start} … ${end})`);
    updated = `${updated.slice(0, from + start.length)}\n\n${section.render(actionYaml)}\n\n${updated.slice(to)}`;
  }
  return updated;
}
