#!/usr/bin/env node
import { slugify } from './slugify.mjs';

const input = process.argv.slice(2).join(' ');
if (input === '') {
  console.error('usage: slugify TITLE...');
  process.exit(2);
}
console.log(slugify(input));
