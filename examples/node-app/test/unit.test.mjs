import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slugify } from '../src/slugify.mjs';

test('lowercases and joins words', () => assert.equal(slugify('Hello World'), 'hello-world'));
test('drops accents', () => assert.equal(slugify('Crème Brûlée'), 'creme-brulee'));
test('trims separators', () => assert.equal(slugify('  --Mac mini!--  '), 'mac-mini'));
