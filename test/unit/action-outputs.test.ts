// What the action's last lines leave for the runner, in process: the outputs a later job reads from GITHUB_OUTPUT,
// the annotations and failure on stdout as the runner parses them, and the Actions log's stop-commands blocks
// around everything a job controls.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ActionsLog } from '../../src/action/actions-log.js';
import { emitAnnotations, failOnInputError, finishWithResults } from '../../src/action/outputs.js';
import { InputError } from '../../src/errors.js';
import type { Annotation } from '../../src/report/annotations.js';
import { asStepPart, parseWorkflowCommands } from '../support/github/workflow-commands.js';
import { jobReport } from '../support/jobs.js';

describe('the outputs', () => {
  it('count only passed jobs as passed, list every job, and leave a passing step alone', async () => {
    const jobs = [
      jobReport({ job: 'a', status: 'passed', exitCode: 0, durationMs: 10 }),
      jobReport({ job: 'b', status: 'passed', exitCode: 0, durationMs: 20 }),
    ];
    const step = await asStepPart(() => finishWithResults('passed', jobs));
    expect(step.exitCode).toBe(0);
    expect(step.commands).toEqual([]);
    expect(step.outputs).toEqual({
      status: 'passed',
      passed: '2',
      failed: '0',
      results: JSON.stringify({
        a: { status: 'passed', durationMs: 10, exitCode: 0 },
        b: { status: 'passed', durationMs: 20, exitCode: 0 },
      }),
    });
  });

  it('count failed, timed-out, cancelled and skipped jobs as failed, and fail the step naming the first five', async () => {
    const statuses = ['failed', 'timed_out', 'cancelled', 'skipped', 'failed', 'failed'] as const;
    const jobs = [
      jobReport({ job: 'ok', status: 'passed', exitCode: 0 }),
      ...statuses.map((status, i) => jobReport({ job: `j${i}`, status, exitCode: null, durationMs: null })),
    ];
    const step = await asStepPart(() => finishWithResults('failed', jobs));
    expect(step.exitCode).toBe(1);
    expect(step.outputs).toMatchObject({ status: 'failed', passed: '1', failed: '6' });
    expect(Object.keys(JSON.parse(step.outputs.results!))).toEqual([
      'ok',
      'j0',
      'j1',
      'j2',
      'j3',
      'j4',
      'j5',
    ]);
    expect(step.commands).toEqual([
      {
        command: 'error',
        properties: {},
        message:
          'vmplan: 6 job(s) did not pass: j0 (failed), j1 (timed out), j2 (cancelled), j3 (skipped), j4 (failed), …',
      },
    ]);
    const five = await asStepPart(() => finishWithResults('failed', jobs.slice(0, 6)));
    expect(five.commands[0]!.message).toBe(
      'vmplan: 5 job(s) did not pass: j0 (failed), j1 (timed out), j2 (cancelled), j3 (skipped), j4 (failed)',
    );
  });

  it('say a cancelled run was cancelled', async () => {
    const step = await asStepPart(() =>
      finishWithResults('cancelled', [jobReport({ job: 'a', status: 'cancelled', exitCode: null })]),
    );
    expect(step.exitCode).toBe(1);
    expect(step.outputs).toMatchObject({ status: 'cancelled', passed: '0', failed: '1' });
    expect(step.commands.map((c) => c.message)).toEqual(['vmplan: cancelled: a (cancelled)']);
  });
});

describe('annotations in the log', () => {
  const annotation = (overrides: Partial<Annotation>): Annotation => ({
    level: 'error',
    title: 'gcc (unit)',
    message: 'boom',
    file: 'src/a.c',
    line: 3,
    column: 5,
    job: 'unit',
    kind: 'diagnostic',
    ...overrides,
  });

  it('each level as its command, placed on file, line and column; an empty message says the title', async () => {
    const log = new ActionsLog();
    const step = await asStepPart(() =>
      emitAnnotations(
        log,
        [
          annotation({}),
          annotation({ level: 'warning', message: '', column: undefined }),
          annotation({ level: 'notice', file: undefined, line: undefined, column: undefined }),
        ],
        {},
      ),
    );
    expect(step.commands).toEqual([
      {
        command: 'error',
        properties: { title: 'gcc (unit)', file: 'src/a.c', line: '3', col: '5' },
        message: 'boom',
      },
      {
        command: 'warning',
        properties: { title: 'gcc (unit)', file: 'src/a.c', line: '3' },
        message: 'gcc (unit)',
      },
      { command: 'notice', properties: { title: 'gcc (unit)' }, message: 'boom' },
    ]);
  });

  it('leave the slots the step uses otherwise: ten per level in all', async () => {
    const many = Array.from({ length: 12 }, (_, i) => annotation({ title: `e${i}`, line: i + 1 }));
    const warnings = many.map((one) => ({ ...one, level: 'warning' as const }));
    const step = await asStepPart(() =>
      emitAnnotations(new ActionsLog(), [...many, ...warnings], { error: 1, warning: 3 }),
    );
    expect(step.commands.filter((c) => c.command === 'error')).toHaveLength(9);
    expect(step.commands.filter((c) => c.command === 'warning')).toHaveLength(7);
  });

  it('switch commands back on first when job text was flowing', async () => {
    const log = new ActionsLog();
    const step = await asStepPart(async () => {
      await log.untrusted('::error::from the job\n');
      emitAnnotations(log, [annotation({})], {});
    });
    expect(step.commands).toEqual([expect.objectContaining({ command: 'error', message: 'boom' })]);
  });
});

describe('bad input', () => {
  it('annotates the first nine located problems on their lines and fails the step with the rest', async () => {
    const problems = Array.from({ length: 11 }, (_, i) => ({
      message: `problem ${i}`,
      file: '.github/vmplan.yml',
      line: i + 1,
      ...(i === 0 ? { column: 7 } : {}),
    }));
    const step = await asStepPart(() =>
      failOnInputError(
        new InputError([...problems, { message: 'bad', file: 'input max-parallel', line: 1 }]),
      ),
    );
    expect(step.exitCode).toBe(1);
    const errors = step.commands.filter((c) => c.command === 'error');
    expect(errors).toHaveLength(10);
    expect(errors[0]).toEqual({
      command: 'error',
      properties: { title: 'vmplan: invalid input', file: '.github/vmplan.yml', line: '1', col: '7' },
      message: '.github/vmplan.yml:1:7: problem 0',
    });
    expect(errors.slice(1, 9).map((c) => c.properties.line)).toEqual([
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
    ]);
    expect(errors[9]!.message).toBe(
      'vmplan: 12 problem(s) in the input, nothing ran; also:\n.github/vmplan.yml:10: problem 9\n.github/vmplan.yml:11: problem 10\ninput max-parallel:1: bad',
    );
  });

  it('of an input (not a file) fails the step with the message alone', async () => {
    const step = await asStepPart(() =>
      failOnInputError(
        new InputError([{ message: 'expected a number', file: 'input max-parallel', line: 1 }]),
      ),
    );
    expect(step.commands).toEqual([
      { command: 'error', properties: {}, message: 'input max-parallel:1: expected a number' },
    ]);
  });
});

describe('the Actions log', () => {
  /** A log writing to a stream whose text is kept. */
  const captured = () => {
    const out = new PassThrough();
    let text = '';
    out.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
    });
    return { log: new ActionsLog(out), text: () => text };
  };

  it('stops commands around job text with a fresh token each time, and resumes them before its own', () => {
    const { log, text } = captured();
    void log.untrusted('::error::one\n');
    void log.untrusted('##[error]two\n');
    log.resume();
    log.line('::warning::three');
    log.resume();
    log.resume();
    const lines = text().split('\n');
    const tokens = lines.flatMap((line) => /^::stop-commands::([0-9a-f]{32})$/.exec(line)?.[1] ?? []);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).not.toBe(tokens[1]);
    expect(lines).toEqual([
      `::stop-commands::${tokens[0]}`,
      '::error::one',
      '##[error]two',
      `::${tokens[0]}::`,
      `::stop-commands::${tokens[1]}`,
      '::warning::three',
      `::${tokens[1]}::`,
      '',
    ]);
    expect(parseWorkflowCommands(text())).toEqual([]);
  });

  it('keeps a line with carriage returns inside its block, and prefixes each line of a job sink', async () => {
    const { log, text } = captured();
    log.line('a\r::error::b\r\nc');
    await log.sink('[unit] ').write('x\n::error::y\n');
    log.resume();
    expect(parseWorkflowCommands(text())).toEqual([]);
    expect(text()).toContain('\na\n::error::b\nc\n[unit] x\n[unit] ::error::y\n');
  });

  it('counts its warnings, each a command', async () => {
    const log = new ActionsLog();
    const step = await asStepPart(() => {
      void log.untrusted('job\n');
      log.warning('first');
      log.warning('second');
    });
    expect(log.warnings).toBe(2);
    expect(step.commands).toEqual([
      { command: 'warning', properties: {}, message: 'first' },
      { command: 'warning', properties: {}, message: 'second' },
    ]);
  });
});
