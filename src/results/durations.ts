import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { Durations } from '../plan/shard.js';
import { readResults } from './io.js';
import { durationsFrom } from './merge.js';

/** Recorded job durations to balance shards: from a results.json of an earlier run, or a `{ job: ms }` map. */
export function readDurations(path: string, name = path): Durations {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`durations: cannot read ${name} (${(error as Error).message})`);
  }
  if (data !== null && typeof data === 'object' && 'schemaVersion' in data)
    return durationsFrom([readResults(path, name)]);
  const map = data as Record<string, unknown>;
  if (
    data === null ||
    typeof data !== 'object' ||
    Array.isArray(data) ||
    Object.values(map).some((value) => typeof value !== 'number')
  ) {
    throw new InputError(`durations: ${name} is neither a results.json nor a map of job id to milliseconds`);
  }
  return map as Durations;
}
