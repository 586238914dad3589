import { parse } from 'yaml';

interface ActionMetadata {
  inputs?: Record<string, { description?: string; default?: string; required?: boolean }>;
  outputs?: Record<string, { description?: string }>;
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

/** Markers around the generated part of the README. */
export const README_MARKERS = {
  start: '<!-- action-tables:start (generated from action.yml: npm run docs) -->',
  end: '<!-- action-tables:end -->',
};

/** The README with its generated tables replaced by fresh ones. */
export function updateReadme(readme: string, actionYaml: string): string {
  const start = readme.indexOf(README_MARKERS.start);
  const end = readme.indexOf(README_MARKERS.end);
  if (start === -1 || end === -1) throw new Error('README.md has no action-tables markers');
  return `${readme.slice(0, start + README_MARKERS.start.length)}\n\n${actionTables(actionYaml)}\n\n${readme.slice(end)}`;
}
