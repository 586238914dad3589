import type { ReportFormat } from './format.js';
import { goJson } from './go-json.js';
import { junit } from './junit.js';
import { tap } from './tap.js';

/**
 * Every test-report format, one line each, in the order the jobs-file schema lists them. Adding a format is its
 * module (a ReportFormat) plus one line here.
 */
export const REPORT_FORMATS: readonly ReportFormat[] = [junit, tap, goJson];

/** The format with this name; undefined for a name no format has. */
export function reportFormat(name: string): ReportFormat | undefined {
  return REPORT_FORMATS.find((format) => format.name === name);
}

/** Format names, in registry order. */
export const REPORT_FORMAT_NAMES = REPORT_FORMATS.map((format) => format.name);
