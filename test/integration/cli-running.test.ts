import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVmplan, spawnVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';

// `vmplan list` and `vmplan status` while a run is still going: its jobs so far, in words that read.

describe('a run that is still running', () => {
  it('list and status show its jobs so far and how long it has been running', async () => {
    const project = testProject(
      `version: 1
defaults: { executor: host }
jobs:
  build: { run: "true" }
  wait: { needs: build, run: 'while [ ! -f "$GO" ]; do sleep 0.1; done' }
  later: { needs: wait, run: "true" }
`,
    );
    const go = join(project.root, 'go');
    const run = spawnVmplan(['run', '--quiet'], { cwd: project.root, env: { GO: go } });
    try {
      let status = '';
      let statusCode: number | null = null;
      for (let i = 0; i < 600 && !/^wait +running/m.test(status); i++) {
        ({ stdout: status, code: statusCode } = await runVmplan(['status'], { cwd: project.root }));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const runId = project.latestRun();
      expect(status).toMatch(/^build +passed +\d/m);
      expect(status).toMatch(/^wait +running +[\d.]+ (ms|s) so far +- +host$/m);
      expect(status).toMatch(/^later +pending +- +- +host$/m);
      expect(status).toMatch(
        new RegExp(`\\nRun ${runId}: running for [\\d.]+ (ms|s) \\(1 passed, 1 running, 1 pending\\)\\n$`),
      );
      expect(status).not.toContain('no jobs');
      // A run still going has not failed: status exits 0 (docs/cli-json.md: ok while it runs).
      expect(statusCode).toBe(0);
      const list = await runVmplan(['list'], { cwd: project.root });
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(
        new RegExp(`^${runId}  running  1 passed, 1 running, 1 pending  running for [\\d.]+ (ms|s) `, 'm'),
      );
    } finally {
      writeFileSync(go, '');
    }
    expect((await run.done).code).toBe(0);
    const list = await runVmplan(['list'], { cwd: project.root });
    expect(list.stdout).toMatch(
      new RegExp(`^${project.latestRun()}  passed  3 passed  [\\d.]+ (ms|s) +[0-9a-f]{12}$`, 'm'),
    );
  });
});
