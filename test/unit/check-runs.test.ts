// A job's check run as GitHub shows it: exact titles, summaries and log text, the API's size limits, and
// annotation batches.
import { describe, expect, it } from 'vitest';
import type { Annotation } from '../../src/report/annotations.js';
import {
  checkAnnotationBatches,
  checkRunCompletion,
  checkRunName,
  checkRunOutput,
  checkRunStart,
} from '../../src/report/check-runs.js';
import { jobReport } from '../support/jobs.js';

const job = (overrides: Parameters<typeof jobReport>[0]) =>
  jobReport({ logTail: 'line 1\n```\nline 2\n', ...overrides });

const annotation = (overrides: Partial<Annotation>): Annotation => ({
  level: 'error',
  title: 'expected 3',
  message: 'boom',
  file: 'src/a.c',
  line: 7,
  job: 'unit',
  kind: 'diagnostic',
  ...overrides,
});

describe('check run output', () => {
  it('a failed job: title with exit and duration, summary with the message and annotations, the log fenced', () => {
    expect(checkRunOutput(job({}), 2)).toEqual({
      title: 'unit: failed (exit 3) in 3.4 s',
      summary: '**Unit tests** — failed on vfkit in 3.4 s (exit 3).\nexited with code 3\n2 annotation(s).',
      text: "Log:\n\n```\nline 1\n'''\nline 2\n\n```",
    });
  });

  it('a passed job hides its message; no annotations, no line; no log, no text', () => {
    expect(
      checkRunOutput(job({ status: 'passed', exitCode: 0, message: 'not shown', logTail: '' }), 0),
    ).toEqual({
      title: 'unit: passed (exit 0) in 3.4 s',
      summary: '**Unit tests** — passed on vfkit in 3.4 s (exit 0).',
    });
  });

  it('a timed-out job without exit code or duration, a truncated log says it is the end', () => {
    expect(
      checkRunOutput(
        job({ status: 'timed_out', exitCode: null, durationMs: null, message: null, logTruncated: true }),
        0,
      ),
    ).toEqual({
      title: 'unit: timed out in –',
      summary: '**Unit tests** — timed out on vfkit in –.',
      text: "End of the log:\n\n```\nline 1\n'''\nline 2\n\n```",
    });
  });

  it('keeps title, summary and text within the API limits, the text ending with the log', () => {
    const long = 'y'.repeat(300);
    const output = checkRunOutput(
      job({ job: long, message: 'm'.repeat(70_000), logTail: `${'z'.repeat(70_000)}END` }),
      0,
    );
    expect(output.title).toHaveLength(255);
    expect(output.title).toBe(`${long}: failed`.slice(0, 255));
    expect(output.summary).toHaveLength(65_535);
    // The log's end fills what the header and fences leave of 65,535 characters (two to spare).
    expect(output.text).toHaveLength(65_533);
    expect(output.text!.endsWith('END\n```')).toBe(true);
    expect(output.text!.startsWith('Log:\n\n```\nzzz')).toBe(true);
    const fits = checkRunOutput(job({ logTail: 'x'.repeat(65_535 - 20) }), 0);
    expect(fits.text).toBe(`Log:\n\n\`\`\`\n${'x'.repeat(65_535 - 20)}\n\`\`\``);
  });

  it('names check runs after the job, and says when one is running', () => {
    expect(checkRunName('e2e')).toBe('vmplan / e2e');
    expect(checkRunStart('e2e')).toEqual({
      name: 'vmplan / e2e',
      output: { title: 'e2e: running', summary: 'vmplan is running `e2e`.' },
    });
  });
});

describe('check run annotations', () => {
  it('only placed annotations, as the API wants them; an empty message falls back to the title; long text cut', () => {
    const batches = checkAnnotationBatches([
      annotation({}),
      annotation({ level: 'warning', message: '', title: 't'.repeat(300), line: 1 }),
      annotation({ level: 'notice', message: 'n'.repeat(70_000) }),
      annotation({ file: undefined }),
      annotation({ line: undefined }),
    ]);
    expect(batches).toHaveLength(1);
    const [first, second, third] = batches[0]!;
    expect(batches[0]).toHaveLength(3);
    expect(first).toEqual({
      path: 'src/a.c',
      start_line: 7,
      end_line: 7,
      annotation_level: 'failure',
      message: 'boom',
      title: 'expected 3',
    });
    expect(second).toMatchObject({ annotation_level: 'warning', message: 't'.repeat(300), start_line: 1 });
    expect(second!.title).toHaveLength(255);
    expect(third!.annotation_level).toBe('notice');
    expect(third!.message).toHaveLength(64 * 1024 - 1);
  });

  it('batches of exactly 50, and none for no annotations', () => {
    const many = (count: number) => Array.from({ length: count }, (_, i) => annotation({ line: i + 1 }));
    expect(checkAnnotationBatches([])).toEqual([]);
    expect(checkAnnotationBatches(many(50)).map((batch) => batch.length)).toEqual([50]);
    expect(checkAnnotationBatches(many(51)).map((batch) => batch.length)).toEqual([50, 1]);
    expect(checkAnnotationBatches(many(51))[1]![0]!.start_line).toBe(51);
  });

  it('a completion counts only the annotations it sends', () => {
    const completion = checkRunCompletion(job({ status: 'cancelled', exitCode: null }), [
      annotation({}),
      annotation({ file: undefined }),
    ]);
    expect(completion.name).toBe('vmplan / unit');
    expect(completion.conclusion).toBe('cancelled');
    expect(completion.output.summary).toBe(
      '**Unit tests** — cancelled on vfkit in 3.4 s.\nexited with code 3\n1 annotation(s).',
    );
    expect(completion.annotationBatches).toHaveLength(1);
  });
});
