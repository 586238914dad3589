import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';

// Where a run's time went, through the CLI: the phases in the records, `vmplan status --timings`, the HTML
// timeline in the run folder and `vmplan report`.

describe("a run's timings", () => {
  it('are recorded per job and shown by status --timings, report (Markdown gantt) and report --html', async () => {
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  build: { run: sleep 0.4 }
  unit: { run: exit 2, needs: [build] }
`);
    const run = await runVmplan(['run', '--quiet'], { cwd: project.root });
    expect(run.code, run.stderr).toBe(1);
    const runId = project.latestRun();
    const build = project.state<{
      phases: { phase: string; startMs: number; ms: number }[];
      durationMs: number;
    }>(`runs/${runId}/jobs/build/status.json`);
    expect(build.phases.map((phase) => phase.phase)).toEqual(['prepare', 'command', 'finish']);
    const command = build.phases[1]!;
    // The command slept 0.4 s; the phases follow each other and fit in the job.
    expect(command.ms).toBeGreaterThanOrEqual(400);
    expect(command.startMs).toBe(build.phases[0]!.startMs + build.phases[0]!.ms);
    const last = build.phases[2]!;
    expect(last.startMs + last.ms).toBeLessThanOrEqual(build.durationMs + 1);

    const status = await runVmplan(['status', runId, '--timings'], { cwd: project.root });
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^build \(host, passed in \d/m);
    expect(status.stdout).toMatch(/^ {2}command +\d+ ms +\d/m);
    expect(status.stdout).toMatch(/^unit \(host, failed in \d/m);

    // The run wrote its timeline next to its records (so it is in the logs artifact).
    const timeline = join(project.root, '.vmplan', 'runs', runId, 'timeline.html');
    expect(existsSync(timeline)).toBe(true);
    const html = readFileSync(timeline, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('job build: command');
    expect(html.match(/stroke="#dc2626"/g)).toHaveLength(1);

    const summary = await runVmplan(['report', runId, '--out', 'summary.md'], { cwd: project.root });
    expect(summary.code, summary.stderr).toBe(0);
    const markdown = readFileSync(join(project.root, 'summary.md'), 'utf8');
    expect(markdown).toContain('## vmplan run: failed');
    expect(markdown).toMatch(/section job unit \(failed\)\n {2}\w+ [\d.]+ m?s :crit, \d+, \d+/);
    expect(markdown).toMatch(/section job build \(passed\)\n {2}prepare [\d.]+ m?s :done, \d+, \d+/);

    const page = await runVmplan(['report', 'latest', '--html', '--out', '-'], { cwd: project.root });
    expect(page.code).toBe(0);
    expect(page.stdout).toMatch(/^<!doctype html>/);
    expect(page.stdout).toContain(`vmplan run ${runId}`);

    const missing = await runVmplan(['report', '20990101T000000Z-00000000'], { cwd: project.root });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no run "20990101T000000Z-00000000"');
  });
});
