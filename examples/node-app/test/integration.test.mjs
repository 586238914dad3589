import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

// Runs the built CLI as a user would; the job builds first because jobs never share files.
test('the built CLI slugifies its arguments', () => {
  if (!existsSync('dist/cli.mjs')) execFileSync(process.execPath, ['scripts/build.mjs']);
  const output = execFileSync(process.execPath, ['dist/cli.mjs', 'Fast', 'Linux', 'CI'], {
    encoding: 'utf8',
  });
  assert.equal(output.trim(), 'fast-linux-ci');
});
