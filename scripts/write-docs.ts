// Regenerates the README's inputs/outputs tables from action.yml (a test fails when they are out of date).
import { readFileSync, writeFileSync } from 'node:fs';
import { updateReadme } from '../src/action/action-docs.js';

writeFileSync(
  'README.md',
  updateReadme(readFileSync('README.md', 'utf8'), readFileSync('action.yml', 'utf8')),
);
console.log('updated the inputs/outputs tables in README.md');
