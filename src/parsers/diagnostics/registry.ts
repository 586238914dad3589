import type { DiagnosticRule } from './rule.js';
import { eslintStylish } from './rules/eslint-stylish.js';
import { gcc } from './rules/gcc.js';
import { go } from './rules/go.js';
import { pytest } from './rules/pytest.js';
import { rustc } from './rules/rustc.js';
import { tsc } from './rules/tsc.js';
import { vitest } from './rules/vitest.js';

/**
 * Every diagnostics rule, one line each. Order matters: when two rules claim a line, the earlier one wins (gcc's
 * `file:line:col: error:` also looks like go's `file:line: message`). Adding a rule is its module plus a line here.
 */
export const DIAGNOSTIC_RULES: readonly DiagnosticRule[] = [
  rustc,
  tsc,
  gcc,
  pytest,
  vitest,
  go,
  eslintStylish,
];
