// Regenerates the README's generated sections (executors, action inputs/outputs, CLI commands) (a test fails when they are out of date).
import { readFileSync, writeFileSync } from 'node:fs';
import { README_SECTIONS, updateReadme } from '../src/action/readme-sections.js';
import { CLI_README_SECTION } from '../src/cli/readme-section.js';

writeFileSync(
  'README.md',
  updateReadme(readFileSync('README.md', 'utf8'), readFileSync('action.yml', 'utf8'), [
    ...README_SECTIONS,
    CLI_README_SECTION,
  ]),
);
console.log('updated the generated sections of README.md');
