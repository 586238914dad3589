import type { TestReport } from '../model.js';

/** A test-report format vmplan reads (the jobs file's `reports: { <name>: [globs] }`). */
export interface ReportFormat {
  /** The key under `reports:` in the jobs file. */
  readonly name: string;
  /** One line for the jobs-file schema: what files it reads. */
  readonly description: string;
  /** Largest file read, in bytes; larger ones are skipped with a note. */
  readonly maxBytes: number;
  /** Parses one report file's text; throws a plain Error saying why when it is not this format. */
  parse(content: string): TestReport;
}
