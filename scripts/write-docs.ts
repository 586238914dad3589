// Regenerates the README's generated sections (executors, action inputs/outputs) (a test fails when they are out of date).
import { readFileSync, writeFileSync } from 'node:fs';
import { updateReadme } from '../src/action/readme-sections.js';

writeFileSync(
  'README.md',
  updateReadme(readFileSync('README.md', 'utf8'), readFileSync('action.yml', 'utf8')),
);
console.log('updated the generated sections of README.md');
