import type { Problem } from '../errors.js';
import { EXECUTOR_NAMES, isVmExecutor } from '../executors/catalog.js';
import { didYouMean } from '../util/suggest.js';
import { JOB_ID_PATTERN } from './schema.js';

/** The parts of a jobs file that refer to each other, read loosely so they can be checked even when the schema failed. */
interface LooseJob {
  needs: { id: string; index: number | undefined }[];
  image: unknown;
  executor: unknown;
  env: Record<string, unknown>;
  secrets: unknown[];
}

/**
 * Checks what the schema alone cannot: `needs` naming real jobs (no self-dependency, no cycles), images that
 * exist, VM jobs that have an image, and names not given twice. Works on raw data so it can run even when the
 * schema found other problems, and every problem is reported in one pass.
 */
export function checkReferences(data: unknown): Problem[] {
  const root = asRecord(data);
  const jobs = asRecord(root.jobs);
  const images = asRecord(root.images);
  const defaults = asRecord(root.defaults);
  const jobIds = Object.keys(jobs);
  const validJobIds = jobIds.filter((id) => JOB_ID_PATTERN.test(id));
  const imageNames = Object.keys(images);
  const problems: Problem[] = [];

  const loose = new Map<string, LooseJob>();
  for (const id of jobIds) loose.set(id, readLooseJob(jobs[id]));

  checkImageReference(defaults.image, ['defaults', 'image'], imageNames, problems);

  for (const [id, job] of loose) {
    const seen = new Set<string>();
    for (const need of job.needs) {
      const path = need.index === undefined ? ['jobs', id, 'needs'] : ['jobs', id, 'needs', need.index];
      if (need.id === id) problems.push({ path, message: `job "${id}" cannot need itself` });
      else if (!loose.has(need.id)) {
        // An id that is not even well-formed gets the schema's message alone; suggestions are only valid ids.
        if (JOB_ID_PATTERN.test(need.id))
          problems.push({ path, message: `unknown job "${need.id}"${didYouMean(need.id, validJobIds)}` });
      } else if (seen.has(need.id)) problems.push({ path, message: `"${need.id}" is listed twice` });
      seen.add(need.id);
    }

    checkImageReference(job.image, ['jobs', id, 'image'], imageNames, problems);
    const executor = job.executor ?? defaults.executor;
    if (
      typeof executor === 'string' &&
      (EXECUTOR_NAMES as readonly string[]).includes(executor) &&
      isVmExecutor(executor) &&
      job.image === undefined &&
      defaults.image === undefined
    ) {
      problems.push({
        path: ['jobs', id],
        message: `runs on ${executor}, which needs a guest image: set jobs.${id}.image or defaults.image`,
      });
    }

    const envNames = new Set(Object.keys(job.env));
    const secretNames = new Set<string>();
    job.secrets.forEach((name, index) => {
      if (typeof name !== 'string') return;
      const path = ['jobs', id, 'secrets', index];
      if (secretNames.has(name)) problems.push({ path, message: `secret "${name}" is listed twice` });
      else if (envNames.has(name)) {
        problems.push({ path, message: `"${name}" is both a literal env variable and a secret: keep one` });
      }
      secretNames.add(name);
    });
  }

  problems.push(...findCycles(loose));
  return problems;
}

function checkImageReference(
  image: unknown,
  path: (string | number)[],
  imageNames: string[],
  problems: Problem[],
): void {
  if (typeof image !== 'string' || imageNames.includes(image) || !JOB_ID_PATTERN.test(image)) return;
  const valid = imageNames.filter((name) => JOB_ID_PATTERN.test(name));
  const hint = valid.length === 0 ? ' (no images are defined under "images")' : didYouMean(image, valid);
  problems.push({ path, message: `unknown image "${image}"${hint}` });
}

/** Every dependency cycle once, printed from its smallest job id: `a → b → c → a`. */
function findCycles(jobs: Map<string, LooseJob>): Problem[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const reported = new Set<string>();
  const problems: Problem[] = [];

  // Depth-first with an explicit stack (a 20,000-job chain must not overflow the call stack): each frame is a job
  // and the needs left to look at; `stack` is the path from the root, to name a cycle when one closes.
  const visit = (root: string): void => {
    const frames: { id: string; next: string[] }[] = [];
    const enter = (id: string) => {
      state.set(id, 'visiting');
      stack.push(id);
      const needs = [...new Set((jobs.get(id)?.needs ?? []).map((need) => need.id))].sort();
      frames.push({ id, next: needs.reverse() });
    };
    enter(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const next = frame.next.pop();
      if (next === undefined) {
        frames.pop();
        stack.pop();
        state.set(frame.id, 'done');
        continue;
      }
      if (next === frame.id || !jobs.has(next)) continue; // reported elsewhere
      const nextState = state.get(next);
      if (nextState === 'visiting') reportCycle(stack.slice(stack.indexOf(next)));
      else if (nextState === undefined) enter(next);
    }
  };
  const reportCycle = (cycle: string[]): void => {
    const start = cycle.indexOf([...cycle].sort()[0]!);
    const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
    const key = rotated.join('\u0000');
    if (reported.has(key)) return;
    reported.add(key);
    problems.push({
      path: ['jobs', rotated[0]!, 'needs'],
      message:
        rotated.length <= 12
          ? `dependency cycle: ${[...rotated, rotated[0]].join(' → ')}`
          : `dependency cycle of ${rotated.length} jobs: ${rotated.slice(0, 10).join(' → ')} → … → ${rotated.at(-1)} → ${rotated[0]}`,
    });
  };

  for (const id of [...jobs.keys()].sort()) if (!state.has(id)) visit(id);
  return problems;
}

function readLooseJob(value: unknown): LooseJob {
  const job = asRecord(value);
  const needs: LooseJob['needs'] = [];
  if (typeof job.needs === 'string') needs.push({ id: job.needs, index: undefined });
  else if (Array.isArray(job.needs)) {
    job.needs.forEach((id, index) => {
      if (typeof id === 'string') needs.push({ id, index });
    });
  }
  return {
    needs,
    image: job.image,
    executor: job.executor,
    env: asRecord(job.env),
    secrets: Array.isArray(job.secrets) ? job.secrets : [],
  };
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
