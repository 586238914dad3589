import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { sha256 } from '../util/canonical-json.js';
import { type ParsedJobsFile, parseJobsFile } from './parse.js';

/** The default jobs file, relative to the repository root. */
export const DEFAULT_JOBS_FILE = '.github/vmplan.yml';
/** Jobs files larger than this are refused before parsing. */
const MAX_JOBS_FILE_BYTES = 4 * 1024 * 1024;

/** A parsed jobs file plus the digest of its bytes (recorded in the plan). */
export interface LoadedJobsFile extends ParsedJobsFile {
  sha256: string;
}

/** Reads, parses and validates a jobs file from disk. `name` is how messages and the plan refer to it. */
export function loadJobsFile(path: string, name = path): LoadedJobsFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(code ?? error);
    throw new InputError([{ file: name, message: `cannot read the jobs file: ${why}` }]);
  }
  return loadJobsText(bytes, name);
}

/** Parses jobs file content that did not come from a file (e.g. the action's inline `jobs` input). */
export function loadJobsText(content: string | Buffer, name: string): LoadedJobsFile {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  if (bytes.length > MAX_JOBS_FILE_BYTES) {
    throw new InputError([
      {
        file: name,
        message: `the jobs file is ${bytes.length} bytes; at most ${MAX_JOBS_FILE_BYTES} are read`,
      },
    ]);
  }
  return { ...parseJobsFile(bytes.toString('utf8'), name), sha256: sha256(bytes) };
}
