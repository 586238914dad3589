import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../errors.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { MAX_RESULTS_BYTES, type Results, ResultsSchema } from './schema.js';

/** Writes results.json atomically after validating it. */
export function writeResults(path: string, results: Results): void {
  writeJsonAtomic(path, ResultsSchema.parse(results));
}

/** Reads and validates a results.json (an artifact from another runner: checked, never trusted blindly). */
export function readResults(path: string, name = path): Results {
  let text: string;
  try {
    if (statSync(path).size > MAX_RESULTS_BYTES)
      throw new InputError([
        { file: name, message: `more than ${MAX_RESULTS_BYTES} bytes: not a results.json` },
      ]);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError([
      { file: name, message: `cannot read the results: ${(error as NodeJS.ErrnoException).code ?? error}` },
    ]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new InputError([
      { file: name, message: `not a results.json: invalid JSON (${(error as Error).message})` },
    ]);
  }
  const parsed = ResultsSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError([
      {
        file: name,
        message: `not a valid results.json: ${issue.path.map(String).join('.') || '(top)'}: ${issue.message}`,
      },
    ]);
  }
  return parsed.data;
}
