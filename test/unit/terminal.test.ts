import { describe, expect, it } from 'vitest';
import { statusLine } from '../../src/cli/progress.js';
import { painter, terminalMode } from '../../src/cli/terminal.js';

const tty = { isTTY: true, columns: 100 } as unknown as NodeJS.WritableStream;
const pipe = {} as NodeJS.WritableStream;

describe('terminalMode', () => {
  it.each([
    ['a terminal', tty, { TERM: 'xterm' }, { color: true, live: true }],
    ['a pipe', pipe, { TERM: 'xterm' }, { color: false, live: false }],
    ['a dumb terminal', tty, { TERM: 'dumb' }, { color: false, live: false }],
    ['a terminal in CI', tty, { TERM: 'xterm', CI: 'true' }, { color: false, live: false }],
    [
      'a terminal in GitHub Actions',
      tty,
      { TERM: 'xterm', GITHUB_ACTIONS: 'true' },
      { color: false, live: false },
    ],
    ['a terminal with CI=false', tty, { TERM: 'xterm', CI: 'false' }, { color: true, live: true }],
    ['NO_COLOR on a terminal', tty, { TERM: 'xterm', NO_COLOR: '1' }, { color: false, live: true }],
    ['an empty NO_COLOR', tty, { TERM: 'xterm', NO_COLOR: '' }, { color: true, live: true }],
    ['FORCE_COLOR on a pipe', pipe, { FORCE_COLOR: '1' }, { color: true, live: false }],
    ['FORCE_COLOR over NO_COLOR', pipe, { FORCE_COLOR: '2', NO_COLOR: '1' }, { color: true, live: false }],
    ['FORCE_COLOR=0 on a terminal', tty, { TERM: 'xterm', FORCE_COLOR: '0' }, { color: false, live: true }],
    ['FORCE_COLOR=false in CI', pipe, { CI: 'true', FORCE_COLOR: 'false' }, { color: false, live: false }],
  ])('%s', (_name, stream, env, expected) => {
    expect(terminalMode(stream, env)).toMatchObject(expected);
  });

  it('paints only when colours are on', () => {
    expect(painter({ color: false })('red', 'x')).toBe('x');
    expect(painter({ color: true })('red', 'x')).toBe('\x1b[31mx\x1b[39m');
  });
});

describe('statusLine', () => {
  const start = 1_000_000;
  const running = [
    { label: 'test', startedAt: start + 30_000, lastSign: 0 },
    { label: 'build', startedAt: start + 5_000, lastSign: 0 },
  ];

  it('names the running jobs (longest first) with their times, the counts and the whole run time', () => {
    const line = statusLine(
      { running, finished: { passed: 3, failed: 1, timed_out: 1 }, total: 10, startedAt: start },
      start + 65_000,
      120,
    );
    expect(line).toBe(
      '2 running: build 1:00, test 0:35 · 3 passed · 1 failed · 1 timed out · 3 waiting · 1:05',
    );
  });

  it('fits one row: the job list gives way, the counts and the clock stay', () => {
    const many = Array.from({ length: 30 }, (_, index) => ({
      label: `job-${index}`,
      startedAt: start,
      lastSign: 0,
    }));
    const line = statusLine(
      { running: many, finished: { passed: 2 }, total: 40, startedAt: start },
      start + 5_000,
      60,
    );
    expect(line.length).toBeLessThanOrEqual(59);
    expect(line).toMatch(/^30 running: job-0 0:05, .*… · 2 passed · 8 waiting · 0:05$/);
  });
});
