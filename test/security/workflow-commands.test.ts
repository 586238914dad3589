import { describe, expect, it } from 'vitest';
import { OUTPUTS, STATE } from '../../src/action/metadata.js';
import { ActionHarness, makeWorkspace } from '../support/github/action-harness.js';
import { parseWorkflowCommands } from '../support/github/workflow-commands.js';

// Guarantee 2: no byte a job controls becomes a workflow command. Arbitrary hostile text goes through every
// place vmplan repeats job-derived text (job output, artifact file names, JUnit names and messages, the jobs
// file's descriptions, notes about skipped files) and the real action entry point; the step's stdout is read
// with the runner's rules (stop-commands honoured, legacy ##[...] obeyed).

/** Pieces the runner might read as commands, or that try to end a stop-commands block. */
const FRAGMENTS = [
  '::error::',
  '::warning file=/etc/passwd,line=1::',
  '::add-mask::',
  '::set-output name=status::',
  '::set-env name=NODE_OPTIONS::',
  '::stop-commands::',
  '::endgroup::',
  '::group::',
  '##[error]',
  '##[add-mask]',
  '##[set-output name=status;]',
  '::debug::',
  '::save-state name=runId::',
  '%0A::error::',
  '\n',
  '\r',
  '\r\n',
  '  ',
  '::',
  ':',
  ',',
  '%',
  '%25',
  'x',
];

/** A deterministic pseudo-random generator (mulberry32), so a failure can be replayed from its seed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` hostile strings, each carrying a marker HOSTILE<n> after its command-like fragments. */
function hostileStrings(seed: number, count: number): string[] {
  const random = generator(seed);
  return Array.from({ length: count }, (_, n) => {
    let text = '';
    const parts = 2 + Math.floor(random() * 6);
    for (let i = 0; i < parts; i++) text += FRAGMENTS[Math.floor(random() * FRAGMENTS.length)];
    return `${text}HOSTILE${n}${random() < 0.5 ? '::' : ''}`;
  });
}

/** Hostile text made safe as a file name (no slash, no NUL, within 200 bytes). */
const fileName = (text: string) => text.replaceAll('/', '_').replaceAll('\0', '').slice(0, 200) || 'x';

const xmlEscape = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function hostileWorkspace(strings: string[]) {
  const cases = strings
    .map(
      (text, n) =>
        `<testcase classname="${xmlEscape(text)}" name="case ${n} ${xmlEscape(text)}" file="src/app.js" line="1"><failure message="${xmlEscape(text)}">${xmlEscape(text)}\n at src/app.js:1</failure></testcase>`,
    )
    .join('\n');
  const makeFiles = `
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const names = ${JSON.stringify(strings.map(fileName))};
fs.mkdirSync('out', { recursive: true });
names.forEach((name, n) => fs.writeFileSync('out/' + name, 'artifact ' + n));
execFileSync('mkfifo', ['out/fifo ' + names[0]]);
fs.symlinkSync('/etc/hostname', 'out/link ' + names[1]);
fs.writeFileSync('report.xml', '<testsuites><testsuite name="hostile">' + ${JSON.stringify(cases)} + '</testsuite></testsuites>');
`;
  return makeWorkspace({
    '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  hostile:
    description: ${JSON.stringify(strings.slice(0, 3).join(' '))}
    run: |
      cat hostile-output.txt
      node make-files.cjs
      exit 1
    artifacts: [out/**]
    reports: { junit: [report.xml] }
`,
    'hostile-output.txt': strings.join('\n'),
    'make-files.cjs': makeFiles,
    'src/app.js': 'module.exports = 1;\n',
  });
}

const ALLOWED = new Set(['group', 'endgroup', 'error', 'warning', 'notice']);

describe('job-derived text in the Actions log', () => {
  for (const seed of [1, 2]) {
    it(`yields no command vmplan did not mean (seed ${seed})`, async () => {
      const strings = hostileStrings(seed, 30);
      const workspace = hostileWorkspace(strings);
      const harness = new ActionHarness(
        workspace.root,
        { 'check-runs': 'false' },
        {},
        { name: 'push', payload: {} },
      );
      const main = await harness.start('main').done;
      expect(main.code).toBe(1);
      // The job really printed the text and really failed.
      expect(main.stdout).toContain('HOSTILE29');
      const commands = parseWorkflowCommands(main.stdout);
      expect(commands.filter((c) => !ALLOWED.has(c.command)).map((c) => c.command)).toEqual([]);
      for (const command of commands) {
        // Commands vmplan meant carry no property a job could have chosen, and no line break got in raw.
        expect(
          Object.keys(command.properties).every((key) => ['title', 'file', 'line', 'col'].includes(key)),
        ).toBe(true);
        if (command.properties.file !== undefined)
          expect(['src/app.js', '.github/vmplan.yml']).toContain(command.properties.file);
      }
      // Every raw line outside stop-commands blocks that carries job text is one escaped command vmplan wrote.
      let stopped: string | undefined;
      for (const line of main.stdout.split('\n')) {
        if (stopped !== undefined) {
          if (line.trim() === `::${stopped}::`) stopped = undefined;
          continue;
        }
        const stop = /^::stop-commands::(.*)$/.exec(line.trim());
        if (stop !== null) {
          expect(stop[1]).toMatch(/^[0-9a-f]{32}$/);
          stopped = stop[1];
          continue;
        }
        if (line.includes('HOSTILE'))
          expect(line).toMatch(/^::(error|warning|notice|group)( [^\r]*)?::[^\r]*$/);
      }
      expect(Object.keys(main.outputs).every((name) => name in OUTPUTS)).toBe(true);
      expect(Object.keys(main.state).every((name) => Object.values(STATE).includes(name as never))).toBe(
        true,
      );
    }, 120_000);
  }
});
