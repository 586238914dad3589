import { readFileSync, statSync } from 'node:fs';
import type { z } from 'zod';
import { InputError } from '../errors.js';
import { issueMessage } from './describe.js';

/** How a JSON file is named in messages, and how large it may be. */
export interface JsonFileKind {
  /** What the file should be, e.g. "results.json" or "vmplan record". */
  kind: string;
  /** Largest file read (bytes): anything larger is not one of these. */
  maxBytes?: number;
}

/**
 * Reads a JSON file and validates it with `schema`. Every failure — unreadable, too large, not JSON, not the
 * schema — is an InputError naming the file (`name`), what it should be and what is wrong.
 */
export function readJsonFile<T>(path: string, schema: z.ZodType<T>, how: JsonFileKind, name = path): T {
  let text: string;
  try {
    if (how.maxBytes !== undefined && statSync(path).size > how.maxBytes)
      throw new InputError([{ file: name, message: `more than ${how.maxBytes} bytes: not a ${how.kind}` }]);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError([
      {
        file: name,
        message: `cannot read the ${how.kind}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      },
    ]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new InputError([
      { file: name, message: `not a ${how.kind}: invalid JSON (${(error as Error).message})` },
    ]);
  }
  return validateJson(data, schema, how, name);
}

/** Validates parsed JSON with `schema`; a mismatch is an InputError naming the file, the field and the problem. */
export function validateJson<T>(data: unknown, schema: z.ZodType<T>, how: JsonFileKind, name: string): T {
  const parsed = schema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError([
      {
        file: name,
        message: `not a valid ${how.kind}: ${issue.path.map(String).join('.') || '(top)'}: ${issueMessage(issue)}`,
      },
    ]);
  }
  return parsed.data;
}
