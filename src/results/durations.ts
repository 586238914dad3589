import { z } from 'zod';
import type { Durations } from '../plan/shard.js';
import { readJsonFile, validateJson } from '../util/read-json.js';
import { durationsFrom } from './merge.js';
import { MAX_RESULTS_BYTES, ResultsSchema } from './schema.js';

/** A `{ job: ms }` map, as the report step writes it. */
const DurationsMapSchema = z.record(z.string(), z.number().nonnegative());

/** Recorded job durations to balance shards: from a results.json of an earlier run, or a `{ job: ms }` map. */
export function readDurations(path: string, name = path): Durations {
  const data = readJsonFile(path, z.unknown(), { kind: 'durations file', maxBytes: MAX_RESULTS_BYTES }, name);
  if (typeof data === 'object' && data !== null && 'schemaVersion' in data)
    return durationsFrom([validateJson(data, ResultsSchema, { kind: 'results.json' }, name)]);
  return validateJson(data, DurationsMapSchema, { kind: 'map of job id to milliseconds' }, name);
}
