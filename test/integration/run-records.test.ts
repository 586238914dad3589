// A run's records as another process sees them while the run writes them (`vmplan status`, `list`, a second vmplan
// finishing a run left running): every read finds a whole record, never a torn or missing one.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import { StateLayout } from '../../src/records/layout.js';
import { RunStore, readRunRecord } from '../../src/records/store.js';
import { context, jobs, runStart } from '../support/jobs.js';

const root = mkdtempSync(join(tmpdir(), 'vmplan-run-records-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Reads the two records over and over until told to stop; says each new version of status.json it sees (so the
// writer knows the reads overlap its writes), then how many reads failed and why.
const reader = `
import { existsSync, readFileSync } from 'node:fs';
const [runFile, nodeFile, stop] = process.argv.slice(-3);
const failures = [];
let last;
process.stdout.write('ready\\n');
while (!existsSync(stop)) {
  for (const file of [runFile, nodeFile]) {
    try {
      const record = JSON.parse(readFileSync(file, 'utf8'));
      if (file === nodeFile && record.message !== last) {
        last = record.message;
        process.stdout.write('seen\\n');
      }
    } catch (error) {
      failures.push(String(error.code ?? error.message).slice(0, 80));
    }
  }
}
process.stdout.write(JSON.stringify({ failures: failures.length, first: failures.slice(0, 3) }) + '\\n');
`;

describe('run records read while the run writes them', () => {
  it('are always whole: a reader in another process never finds one torn, empty or missing', async () => {
    const plan = buildPlan(
      jobs('version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: x }\n  b: { run: y, needs: a }\n'),
      context(),
    );
    const layout = new StateLayout(root);
    const runId = '20261207T100000Z-00000001';
    const store = RunStore.create(layout, runStart(plan, runId), plan);
    store.start('job:a');
    const stop = join(root, 'stop');
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        reader,
        layout.runRecord(runId),
        join(layout.runDir(runId), 'jobs', 'a', 'status.json'),
        stop,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: child.stdout });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let seen = 0;
    let summary = '';
    const ready = new Promise<void>((resolve) =>
      lines.on('line', (line) => {
        if (line === 'ready') resolve();
        else if (line === 'seen') seen++;
        else summary = line;
      }),
    );
    await ready;
    // Records of changing sizes, rewritten until the reader has seen many of them come and go (or has died).
    let writes = 0;
    while (seen < 50 && child.exitCode === null) {
      store.update('job:a', { message: `line ${writes}\n`.repeat(writes % 200) });
      writes++;
      if (writes % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    store.finish('passed', null);
    writeFileSync(stop, '');
    await exited;
    expect(seen).toBeGreaterThanOrEqual(50);
    expect(JSON.parse(summary)).toEqual({ failures: 0, first: [] });
    expect(readRunRecord(layout, runId).status).toBe('passed');
  });
});
