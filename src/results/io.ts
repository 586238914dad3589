import { writeJsonAtomic } from '../util/atomic-write.js';
import { readJsonFile } from '../util/read-json.js';
import { MAX_RESULTS_BYTES, type Results, ResultsSchema } from './schema.js';

/** Writes results.json atomically after validating it. */
export function writeResults(path: string, results: Results): void {
  writeJsonAtomic(path, ResultsSchema.parse(results));
}

/** Reads and validates a results.json (an artifact from another runner: checked, never trusted blindly). */
export function readResults(path: string, name = path): Results {
  return readJsonFile(path, ResultsSchema, { kind: 'results.json', maxBytes: MAX_RESULTS_BYTES }, name);
}
