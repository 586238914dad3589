import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runVmplan, spawnVmplan, TSX_LOADER, testCacheDir } from '../support/cli.js';
import { prerequisite } from '../support/prerequisites.js';
import { testProject } from '../support/project.js';

const ESCAPE = '\x1b[';
/** A pattern with ESC spelled "ESC" (control characters do not belong in regex literals). */
const ansi = (pattern: string) => new RegExp(pattern.replaceAll('ESC', '\x1b'));
/** An environment with no opinion on colours and no CI, like a developer's shell. */
const PLAIN_ENV = {
  CI: '',
  GITHUB_ACTIONS: '',
  NO_COLOR: '',
  FORCE_COLOR: undefined,
  TERM: 'xterm-256color',
};

const TWO_JOBS = `version: 1
defaults: { executor: host }
jobs:
  ok: { run: echo all good }
  bad: { run: 'echo about to fail; exit 3' }
`;

function quote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** Runs vmplan on a pseudo-terminal (util-linux `script`), as a user at a terminal sees it. */
function runOnTerminal(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, '--import', TSX_LOADER, `${REPO_ROOT}src/cli.ts`, ...args]
    .map(quote)
    .join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd,
    env: { ...process.env, VMPLAN_CACHE_DIR: testCacheDir(args, cwd), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

const hasScript = spawnSync('script', ['--version']).status === 0;

describe('colours and the live status line', () => {
  it('prints plain lines when stdout is not a terminal; FORCE_COLOR adds colours, NO_COLOR does not', async () => {
    const project = testProject(TWO_JOBS);
    const plain = await runVmplan(['run', '--no-fail-fast'], { cwd: project.root, env: PLAIN_ENV });
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain('all good');
    expect(plain.stdout).not.toContain(ESCAPE);
    expect(plain.stdout).not.toContain('\r');

    const forced = await runVmplan(['run', '--no-fail-fast'], {
      cwd: project.root,
      env: { ...PLAIN_ENV, FORCE_COLOR: '1' },
    });
    expect(forced.stdout).toMatch(ansi('ESC\\[31m✖ESC\\[39m'));
    expect(forced.stdout).not.toContain('\r\x1b[2K');

    const forcedOff = await runVmplan(['run', '--no-fail-fast'], {
      cwd: project.root,
      env: { ...PLAIN_ENV, FORCE_COLOR: '0' },
    });
    expect(forcedOff.stdout).not.toContain(ESCAPE);
  });

  describe.skipIf(!prerequisite('util-linux script (a pseudo-terminal)', hasScript))('on a terminal', () => {
    it('draws a status line with the running jobs, the counts and the time, and colours', async () => {
      const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  slow: { run: 'echo starting; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do test -e ${join('$VMPLAN_WORKSPACE', 'never')} || sleep 0.1; done; echo done' }
`);
      const { code, output } = await runOnTerminal(['run'], project.root, PLAIN_ENV);
      expect(code, output).toBe(0);
      // The line is drawn (erase row, text) while the job runs, and erased before the final table.
      expect(output).toMatch(ansi('\rESC\\[2K.*1 running: slow 0:0\\d · 0:0\\d'));
      expect(output).toContain('\x1b[32m✔\x1b[39m');
      expect(output).toContain('starting');
      const table = output.lastIndexOf('NODE');
      expect(table).toBeGreaterThan(output.lastIndexOf('running: slow'));
    });

    it('uses no colours and no status line with NO_COLOR in CI', async () => {
      const project = testProject(TWO_JOBS);
      const colourless = await runOnTerminal(['run'], project.root, { ...PLAIN_ENV, NO_COLOR: '1' });
      expect(colourless.output).not.toMatch(ansi('ESC\\[3\\dm'));
      const ci = await runOnTerminal(['run'], project.root, { ...PLAIN_ENV, CI: 'true' });
      expect(ci.output).not.toContain('\x1b[2K');
      expect(ci.output).not.toContain(ESCAPE);
    });
  });
});

describe('quiet jobs and quiet runs', () => {
  it('prints a "still running" line for a job that prints nothing, and goes on once it speaks', async () => {
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  silent: { run: 'while [ ! -e "$RELEASE" ]; do sleep 0.05; done; echo released' }
`);
    const release = join(project.root, 'release');
    const run = spawnVmplan(['run'], {
      cwd: project.root,
      env: { ...PLAIN_ENV, VMPLAN_HEARTBEAT_SECONDS: '0.3', RELEASE: release },
    });
    await run.waitFor(/silent still running \(\d+(\.\d+)? m?s, nothing printed for 300 ms\)/);
    writeFileSync(release, '');
    const result = await run.done;
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain('released');
  });

  it('with --quiet, a failed job still shows the end of its log and the problems found in it', async () => {
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  typecheck:
    run: |
      echo "checking 1 file"
      echo "src/a.ts(3,5): error TS2322: Type 'string' is not assignable to type 'number'."
      exit 2
  fine: { run: echo this stays hidden }
`);
    project.write('src/a.ts', 'let x: number;\n\nx = "text";\n');
    const result = await runVmplan(['run', '--quiet', '--no-fail-fast'], {
      cwd: project.root,
      env: PLAIN_ENV,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain('this stays hidden');
    expect(result.stdout).toContain("│ typecheck's log:");
    expect(result.stdout).toContain('│   checking 1 file');
    expect(result.stdout).toContain('│ found in it:');
    expect(result.stdout).toContain(
      "│   src/a.ts:3:5: error: Type 'string' is not assignable to type 'number'. (tsc: TS2322)",
    );
    expect(result.stdout).toMatch(/│ whole log: vmplan logs \S+ typecheck/);
  });
});
