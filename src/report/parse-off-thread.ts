import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { ReportFormat } from '../parsers/formats/format.js';
import type { TestReport } from '../parsers/model.js';
import type { ParseRequest } from './parse-worker.js';

type Reply = { id: number; report: TestReport } | { id: number; error: string };

/** The parse worker (one per process, started on first use), or null where it cannot run (then: in-thread). */
let worker: Worker | null | undefined;
const waiting = new Map<number, { resolve: (reply: Reply | null) => void }>();
let nextId = 1;

/** The worker's file name: a variable, so a bundler leaves the URL to runtime (npm run package builds it). */
const WORKER = 'parse-worker.js';

/**
 * Where the worker is: next to this module — the TypeScript source under tsx (which loads it by its .js name), or
 * the worker bundle scripts/package.mjs puts next to each bundle; undefined when neither is there.
 */
function workerFile(): URL | undefined {
  const url = new URL(`./${WORKER}`, import.meta.url);
  const source = new URL(`./${WORKER.replace(/\.js$/, '.ts')}`, import.meta.url);
  return existsSync(url) ? url : existsSync(source) ? url : undefined;
}

function startWorker(): Worker | null {
  try {
    const file = workerFile();
    if (file === undefined) return null;
    const started = new Worker(file);
    started.unref();
    started.on('message', (reply: Reply) => {
      waiting.get(reply.id)?.resolve(reply);
      waiting.delete(reply.id);
      if (waiting.size === 0) started.unref();
    });
    // A worker that cannot load (no such file in this build) or dies: what it had is parsed in-thread.
    const fail = () => {
      worker = null;
      for (const entry of waiting.values()) entry.resolve(null);
      waiting.clear();
    };
    started.on('error', fail);
    started.on('exit', fail);
    return started;
  } catch {
    return null;
  }
}

/**
 * Parses one report file as `format` without holding the event loop: in a worker thread, so other jobs'
 * timers fire on time however long a hostile report takes. Where no worker can start, in-thread after yielding
 * (each file is then one slice, bounded by the format's maxBytes). Throws the parser's own message.
 */
export async function parseReportFile(format: ReportFormat, path: string): Promise<TestReport> {
  // Started once: null (no worker here, or it died) stays null.
  if (worker === undefined) worker = startWorker();
  if (worker !== null) {
    const id = nextId++;
    const reply = await new Promise<Reply | null>((resolve) => {
      waiting.set(id, { resolve });
      worker!.ref();
      worker!.postMessage({ id, format: format.name, path } satisfies ParseRequest);
    });
    if (reply !== null) {
      if ('error' in reply) throw new Error(reply.error);
      return reply.report;
    }
  }
  await yieldToEvents();
  return format.parse(await readFile(path, 'utf8'));
}
