import type { z } from 'zod';

/** A short rendering of any value for "found ..." parts of error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

/** What YAML and JSON users call each type zod names, for "expected ..., found ..." messages. */
const TYPE_WORDS: Record<string, string> = {
  record: 'a mapping (key: value lines)',
  object: 'a mapping (key: value lines)',
  array: 'a list (- item lines, or [a, b])',
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  int: 'a whole number',
};

/**
 * A zod issue's message in the user's words: wrong types say what was expected and what was found, never zod's
 * own text ("expected record, received null"); other issues carry the message their schema gave them.
 * The input must have been parsed with `reportInput: true`.
 */
export function issueMessage(issue: z.core.$ZodIssue): string {
  // A schema's own message stays; zod's defaults all start with "Invalid input".
  if (issue.code !== 'invalid_type' || !issue.message.startsWith('Invalid input')) return issue.message;
  return `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}, found ${describeValue(issue.input)}`;
}
