// A worker thread that parses test-report files, so a job's huge report never holds the event loop that
// times every other job out (src/report/parse-off-thread.ts starts it).
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { reportFormat } from '../parsers/formats/registry.js';

/** A request: parse the file at `path` as `format`. */
export interface ParseRequest {
  id: number;
  format: string;
  path: string;
}

parentPort?.on('message', (request: ParseRequest) => {
  try {
    const format = reportFormat(request.format);
    if (format === undefined) throw new Error(`no report format ${request.format}`);
    const report = format.parse(readFileSync(request.path, 'utf8'));
    parentPort?.postMessage({ id: request.id, report });
  } catch (error) {
    parentPort?.postMessage({ id: request.id, error: (error as Error).message });
  }
});
