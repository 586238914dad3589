import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runVmplan, spawnVmplan } from '../support/cli.js';
import { processesWith, rssMiB } from '../support/processes.js';
import { testProject } from '../support/project.js';

const marker = () => `vmplan-test-${randomBytes(4).toString('hex')}`;

/** Resolves once `condition` holds (checked every 20 ms): a test waits for the event, not a guessed time. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Resolves once every path exists (what a job creates to say it got somewhere). */
const untilExists = (...paths: string[]) => until(() => paths.every((path) => existsSync(path)));

/** A command whose process carries `mark` in its command line and lives for 5 minutes. */
const longLived = (mark: string) => `node -e "setTimeout(() => {}, 300000)" ${mark}`;

describe('vmplan run with the host executor', () => {
  it('runs independent jobs in parallel: with --max-parallel 4, four jobs are all running at once', async () => {
    // Each job says it started, then waits until all four have (a barrier, not a wall-clock guess): they pass only
    // if they run at the same time. Run one at a time, the first would wait for the others until it gives up.
    const barrier = mkdtempSync(join(tmpdir(), 'vmplan-barrier-'));
    const job = (name: string) =>
      `{ run: 'touch ${barrier}/${name}; for i in $(seq 600); do [ $(ls ${barrier} | wc -l) -eq 4 ] && exit 0; sleep 0.1; done; exit 1' }`;
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  a: ${job('a')}
  b: ${job('b')}
  c: ${job('c')}
  d: ${job('d')}
`);
    const result = await runVmplan(['run', '--max-parallel', '4'], { cwd: project.root });
    expect(result.code, result.stderr).toBe(0);
    const run = project.state<{ startedAt: string; status: string }>(`runs/${project.latestRun()}/run.json`);
    const starts = ['a', 'b', 'c', 'd'].map((job) =>
      Date.parse(
        project.state<{ startedAt: string }>(`runs/${project.latestRun()}/jobs/${job}/status.json`).startedAt,
      ),
    );
    const ends = ['a', 'b', 'c', 'd'].map((job) =>
      Date.parse(
        project.state<{ finishedAt: string }>(`runs/${project.latestRun()}/jobs/${job}/status.json`)
          .finishedAt,
      ),
    );
    expect(run.status).toBe('passed');
    // All four ran at once: each passed only once all had started, and the records agree (the last started
    // before the first finished).
    expect(Math.max(...starts)).toBeLessThan(Math.min(...ends));
  });

  it('runs needs in order and skips the dependents of a failed job, saying why', async () => {
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  build: { run: echo building; exit 3 }
  unit: { run: echo unit, needs: build }
  e2e: { run: echo e2e, needs: unit }
  lint: { run: echo lint }
`);
    const result = await runVmplan(['run', '--no-fail-fast'], { cwd: project.root });
    expect(result.code).toBe(1);
    const runId = project.latestRun();
    expect(project.jobStatus('build', runId)).toMatchObject({
      status: 'failed',
      exitCode: 3,
      message: 'exited with code 3',
    });
    expect(project.jobStatus('unit', runId)).toMatchObject({
      status: 'skipped',
      message: 'needs "build", which failed',
    });
    expect(project.jobStatus('e2e', runId)).toMatchObject({
      status: 'skipped',
      message: 'needs "unit", which was skipped',
    });
    expect(project.jobStatus('lint', runId)).toMatchObject({ status: 'passed', exitCode: 0 });
    expect(result.stdout).toMatch(/build +failed +\d+(\.\d)? m?s +3 +host +exited with code 3/);
    expect(result.stdout).toContain(`Run ${runId}: failed (1 passed, 1 failed, 2 skipped)`);
    expect(readFileSync(join(project.root, `.vmplan/runs/${runId}/jobs/build/host.log`), 'utf8')).toContain(
      'building\n',
    );
  });

  it('fail-fast (the default) cancels running jobs and starts nothing new after a failure', async () => {
    const mark = marker();
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  broken: { run: sleep 0.5; exit 1 }
  slow:
    run: ${longLived(mark)}
  later: { run: echo later, needs: slow }
`);
    const result = await runVmplan(['run', '--max-parallel', '2'], { cwd: project.root });
    expect(result.code).toBe(1);
    const runId = project.latestRun();
    expect(project.jobStatus('slow', runId)).toMatchObject({
      status: 'cancelled',
      message: 'fail-fast after "broken" failed',
    });
    // Stopped soon after the failure, not at the end of its 5 minutes (timed between the records, so a slow
    // start of vmplan on a busy machine does not count).
    const finishedAt = (job: string) => Date.parse(project.jobStatus(job, runId).finishedAt!);
    expect(finishedAt('slow') - finishedAt('broken')).toBeLessThan(15_000);
    expect(project.jobStatus('later', runId)).toMatchObject({
      status: 'skipped',
      message: 'not started: fail-fast after "broken" failed',
    });
    expect(processesWith(mark)).toEqual([]);
  });

  it('a job that times out triggers fail-fast too', async () => {
    const mark = marker();
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  hangs: { run: sleep 300, timeout-minutes: 0.01 }
  slow:
    run: ${longLived(mark)}
`);
    const result = await runVmplan(['run', '--max-parallel', '2'], { cwd: project.root });
    expect(result.code).toBe(1);
    expect(project.jobStatus('hangs')).toMatchObject({ status: 'timed_out' });
    expect(project.jobStatus('slow')).toMatchObject({
      status: 'cancelled',
      message: 'fail-fast after "hangs" timed out',
    });
    expect(processesWith(mark)).toEqual([]);
  });

  it('with --no-fail-fast, independent jobs keep going', async () => {
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  broken: { run: exit 1 }
  slow: { run: sleep 1 }
`);
    const result = await runVmplan(['run', '--no-fail-fast', '--max-parallel', '2'], { cwd: project.root });
    expect(result.code).toBe(1);
    expect(project.jobStatus('slow').status).toBe('passed');
  });

  it('stops a timed-out job with its whole process tree, SIGKILL for what ignores SIGTERM', async () => {
    const mark = marker();
    // The stubborn shell says when it ignores SIGTERM and its child runs; the job says "spawned" only then, so
    // the timeout meets the whole tree. 0.1 minute (6 s) leaves room for that on a busy machine.
    const ready = join(mkdtempSync(join(tmpdir(), 'vmplan-tree-')), 'ready');
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  hang:
    timeout-minutes: 0.1
    run: |
      ${longLived(`${mark}-child`)} &
      bash -c 'trap "" TERM; ${longLived(`${mark}-grandchild`)} & touch ${ready}; while :; do sleep 0.2; done' ${mark}-stubborn &
      while [ ! -e ${ready} ]; do sleep 0.05; done
      echo "spawned"
      sleep 300
`);
    const result = await runVmplan(['run'], { cwd: project.root });
    expect(result.code).toBe(1);
    const status = project.jobStatus('hang');
    expect(status).toMatchObject({ status: 'timed_out', message: 'timed out after 0.1 minute(s); stopped' });
    // It was allowed its full 6 s (a lower bound holds on a busy machine; the message alone would not notice a
    // timeout counted in the wrong unit).
    expect(status.durationMs).toBeGreaterThanOrEqual(6_000);
    expect(processesWith(mark)).toEqual([]);
    const log = readFileSync(
      join(project.root, `.vmplan/runs/${project.latestRun()}/jobs/hang/host.log`),
      'utf8',
    );
    expect(log).toContain('spawned\n');
    expect(log).toContain('vmplan: timed_out: timed out after 0.1 minute(s); stopped');
  });

  it('kills what a job leaves running in the background when it ends', async () => {
    const mark = marker();
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  leaky:
    run: ${longLived(mark)} & echo done
`);
    const result = await runVmplan(['run'], { cwd: project.root });
    expect(result.code).toBe(0);
    expect(processesWith(mark)).toEqual([]);
    expect(
      readFileSync(join(project.root, `.vmplan/runs/${project.latestRun()}/jobs/leaky/host.log`), 'utf8'),
    ).toContain('vmplan: killed 1 process(es) the job left running in its process group');
  });

  it('on SIGTERM stops every job, finishes the records and exits non-zero within 5 s', async () => {
    const mark = marker();
    const ready = mkdtempSync(join(tmpdir(), 'vmplan-ready-'));
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  one:
    run: touch ${ready}/one; ${longLived(`${mark}-one`)}
  two:
    run: bash -c 'trap "" TERM; touch ${ready}/two; while :; do sleep 0.2; done' ${mark}-two
  three: { run: echo never, needs: one }
`);
    const vmplan = spawnVmplan(['run', '--max-parallel', '2'], { cwd: project.root });
    // Both jobs run (and "two" ignores SIGTERM) before the signal: "started" alone comes before their processes.
    await untilExists(join(ready, 'one'), join(ready, 'two'));
    const signalled = Date.now();
    vmplan.child.kill('SIGTERM');
    const result = await vmplan.done;
    expect(Date.now() - signalled).toBeLessThan(5_000);
    expect(result.code).toBe(143);
    const runId = project.latestRun();
    expect(project.state(`runs/${runId}/run.json`)).toMatchObject({
      status: 'cancelled',
      message: 'received SIGTERM',
    });
    for (const job of ['one', 'two']) {
      expect(project.jobStatus(job, runId)).toMatchObject({
        status: 'cancelled',
        message: 'received SIGTERM',
      });
    }
    expect(project.jobStatus('three', runId)).toMatchObject({ status: 'cancelled' });
    expect(processesWith(mark)).toEqual([]);
  });

  it('on SIGTERM while the snapshot of a large repository is being made, stops at once (not after the copy)', async () => {
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  never: { run: echo never }
`);
    // 40,000 files: copying them takes several seconds here, stopping must not wait for that.
    for (let d = 0; d < 400; d++) {
      mkdirSync(join(project.root, 'tree', String(d)), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(project.root, 'tree', String(d), String(f)), '');
    }
    const vmplan = spawnVmplan(['run'], { cwd: project.root });
    await vmplan.waitFor('Snapshotting');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalled = Date.now();
    vmplan.child.kill('SIGTERM');
    const result = await vmplan.done;
    const stopMs = Date.now() - signalled;
    expect(result.code).toBe(143);
    expect(result.stdout).not.toContain('Snapshot: ');
    const runId = project.latestRun();
    expect(project.state(`runs/${runId}/run.json`)).toMatchObject({ status: 'cancelled' });
    expect(project.jobStatus('never', runId)).toMatchObject({ status: 'cancelled' });
    // Stopping took less than half the copy, timed on the same machine (a ratio, not a fixed bound that a busy
    // machine could exceed while the copy slows down as much). Waiting for the copy would take nearly all of it.
    const whole = await runVmplan(['run'], { cwd: project.root });
    expect(whole.code, whole.stderr).toBe(0);
    const copyMs = Number(/^Snapshot: [\d,]+ files, .* in (\d+) ms/m.exec(whole.stdout)?.[1]);
    console.log(`stopped in ${stopMs} ms; the whole copy takes ${copyMs} ms`);
    expect(stopMs).toBeLessThan(copyMs / 2);
  });

  it('a second signal leaves at once, killing what still runs (a job that ignores SIGTERM)', async () => {
    const mark = marker();
    const ready = join(mkdtempSync(join(tmpdir(), 'vmplan-ready-')), 'ready');
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  stubborn:
    run: bash -c 'trap "" TERM; touch ${ready}; while :; do sleep 0.2; done' ${mark}
`);
    const vmplan = spawnVmplan(['run'], { cwd: project.root });
    // Signals only once the job ignores SIGTERM, and the second once vmplan took the first (events, not sleeps).
    await untilExists(ready);
    vmplan.child.kill('SIGTERM');
    await until(() => vmplan.output().stderr.includes('received SIGTERM, stopping every job'));
    vmplan.child.kill('SIGINT');
    const result = await vmplan.done;
    expect(result.code).toBe(130);
    expect(processesWith(mark)).toEqual([]);
    const runId = project.latestRun();
    expect(project.state(`runs/${runId}/run.json`)).toMatchObject({
      status: 'cancelled',
      message: 'received SIGTERM, then SIGINT',
    });
    // It left at once: the job was still in its 2 s grace when vmplan ended it (after the grace, the engine would
    // have ended it as "received SIGTERM"), timed by the records rather than a clock on a busy machine.
    expect(project.jobStatus('stubborn', runId)).toMatchObject({
      status: 'cancelled',
      message: 'received SIGTERM, then SIGINT',
      process: null,
    });
  });

  it('a setup failure mid-run leaves every record terminal with the reason (pikaci left them running)', async () => {
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  a: { run: echo a }
  b: { run: echo b, needs: a }
`);
    // A named pipe in a folder that is not a git work tree (git would skip it): the snapshot refuses it, after
    // run.json was written.
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [join(project.root, 'fifo')]);
    rmSync(join(project.root, '.git'), { recursive: true });
    const result = await runVmplan(['run', '--workspace', '.'], { cwd: project.root });
    expect(result.code).toBe(1);
    const runId = project.latestRun();
    const run = project.state<{ status: string; message: string }>(`runs/${runId}/run.json`);
    expect(run.status).toBe('failed');
    expect(run.message).toMatch(/^run setup failed: workspace snapshot: fifo is a named pipe;/);
    for (const job of ['a', 'b']) {
      expect(project.jobStatus(job, runId)).toMatchObject({ status: 'skipped', message: run.message });
    }
  });

  it('an engine error while jobs run (a record that cannot be written) stops them and ends every record', async () => {
    const mark = marker();
    // Job "a" replaces its own job folder with a file, so its status.json can no longer be written.
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  a: { run: 'sleep 1; d=$VMPLAN_NODE_DIR; cd /; rm -rf "$d"; touch "$d"' }
  long:
    run: ${longLived(mark)}
`);
    const result = await runVmplan(['run', '--max-parallel', '2'], { cwd: project.root });
    // vmplan could not do its own work (a record it could not write): exit 3, not a job failure.
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('vmplan could not do its own work');
    expect(processesWith(mark)).toEqual([]);
    const runId = project.latestRun();
    const run = project.state<{ status: string; message: string }>(`runs/${runId}/run.json`);
    expect(run.status).toBe('failed');
    expect(run.message).toMatch(/^vmplan error during the run \(its jobs were stopped\): .*jobs\/a/);
    expect(project.jobStatus('long', runId)).toMatchObject({ status: 'cancelled', process: null });
    // Stopped soon after the error, not at the end of its 5 minutes (timed by its record, so a slow start of
    // vmplan on a busy machine does not count).
    expect(project.jobStatus('long', runId).durationMs).toBeLessThan(15_000);
  });

  it('when vmplan itself is SIGKILLed, the next command finishes the run and stops what it left', async () => {
    const mark = marker();
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  orphan:
    run: ${longLived(mark)}
`);
    const vmplan = spawnVmplan(['run'], { cwd: project.root });
    await vmplan.waitFor('orphan started');
    // "started" comes before the job's process: wait until it runs and its record names it (what the next
    // command goes by), however long that takes on a busy machine.
    await until(() => project.jobStatus('orphan').process != null && processesWith(mark).length === 1);
    vmplan.child.kill('SIGKILL');
    await vmplan.done;
    const runId = project.latestRun();
    expect(project.state(`runs/${runId}/run.json`)).toMatchObject({ status: 'running' });
    expect(processesWith(mark)).toHaveLength(1);

    const list = await runVmplan(['list'], { cwd: project.root });
    expect(list.stdout).toContain(`${runId}  cancelled`);
    expect(project.state(`runs/${runId}/run.json`)).toMatchObject({
      status: 'cancelled',
      message: expect.stringMatching(/^vmplan \(pid \d+\) ended without finishing the run$/),
    });
    expect(project.jobStatus('orphan', runId).status).toBe('cancelled');
    expect(processesWith(mark)).toEqual([]);
  });

  it('keeps memory bounded while a job prints 200 MB, and logs every byte', async () => {
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  chatty: { run: "head -c 200000000 /dev/zero | tr '\\\\0' x | fold -w 99" }
`);
    const vmplan = spawnVmplan(['run'], { cwd: project.root, keepStdoutChars: 4096 });
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMiB(vmplan.child.pid!) ?? 0);
    }, 20);
    const result = await vmplan.done;
    clearInterval(sampler);
    expect(result.code).toBe(0);
    expect(peak).toBeGreaterThan(0);
    console.log(`peak RSS of vmplan while a job printed 200 MB: ${peak.toFixed(0)} MiB`);
    expect(peak).toBeLessThan(150);
    const log = join(project.root, `.vmplan/runs/${project.latestRun()}/jobs/chatty/host.log`);
    const { statSync } = await import('node:fs');
    // 200,000,000 x's in lines of 99 plus newlines, plus vmplan's own workspace line.
    expect(statSync(log).size).toBeGreaterThan(200_000_000);
  }, 60_000);

  it('masks secret values in the log and the console', async () => {
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  deploy: { run: 'echo "token is $API_TOKEN"; test -n "$API_TOKEN"', secrets: [API_TOKEN] }
`);
    const result = await runVmplan(['run'], { cwd: project.root, env: { API_TOKEN: 'hunter2-secret' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('token is ***');
    expect(result.stdout).not.toContain('hunter2-secret');
    const runDir = join(project.root, `.vmplan/runs/${project.latestRun()}`);
    expect(readFileSync(join(runDir, 'jobs/deploy/host.log'), 'utf8')).toContain('token is ***\n');
    for (const file of ['plan.json', 'run.json', 'jobs/deploy/status.json', 'jobs/deploy/host.log']) {
      expect(readFileSync(join(runDir, file), 'utf8')).not.toContain('hunter2-secret');
    }
  });

  it('refuses to start when a named secret is missing, creating nothing', async () => {
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  deploy: { run: echo, secrets: [API_TOKEN] }
`);
    const result = await runVmplan(['run'], { cwd: project.root, env: { API_TOKEN: '' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('secret API_TOKEN is not set in the environment (needed by job:deploy)\n');
    expect(existsSync(join(project.root, '.vmplan/runs'))).toBe(false);
  });

  it('gives each job its own workspace: writes never leak between jobs or into the repository', async () => {
    // The reader looks only once the writer has written (a marker outside the workspaces, not a 0.5 s guess that a
    // busy machine could make the reader win, proving nothing).
    const written = join(mkdtempSync(join(tmpdir(), 'vmplan-written-')), 'written');
    const project = testProject(`version: 1
defaults: { executor: host }
workspace: { exclude: [ignored/] }
jobs:
  writer:
    run: |
      test ! -e ignored && test ! -e .git && test ! -e .vmplan
      test "$(readlink link)" = shared.txt
      echo changed > shared.txt
      touch ${written}
  reader: { run: 'while [ ! -e ${written} ]; do sleep 0.05; done; grep -q original shared.txt', needs: [] }
  after: { run: 'grep -q original shared.txt', needs: writer }
`);
    project.write('shared.txt', 'original\n');
    project.write('ignored/big.bin', 'x');
    symlinkSync('shared.txt', join(project.root, 'link'));
    project.write('.git/HEAD', 'ref: refs/heads/main\n');
    const result = await runVmplan(['run', '--max-parallel', '2'], { cwd: project.root });
    expect(result.code, result.stdout).toBe(0);
    expect(readFileSync(join(project.root, 'shared.txt'), 'utf8')).toBe('original\n');
  });

  it('brings back artifacts and JUnit reports', async () => {
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  build:
    run: mkdir -p out/bin && echo app > out/bin/app && echo '<testsuite/>' > junit.xml
    artifacts: [out/**, missing/*]
    reports: { junit: [junit.xml] }
`);
    const result = await runVmplan(['run'], { cwd: project.root });
    expect(result.code).toBe(0);
    const jobDir = join(project.root, `.vmplan/runs/${project.latestRun()}/jobs/build`);
    expect(readFileSync(join(jobDir, 'artifacts/out/bin/app'), 'utf8')).toBe('app\n');
    expect(readFileSync(join(jobDir, 'reports/junit.xml'), 'utf8')).toBe('<testsuite/>\n');
    expect(readFileSync(join(jobDir, 'host.log'), 'utf8')).toContain(
      'vmplan: no artifact matched "missing/*"',
    );
  });
});

describe('vmplan rerun, status, logs, list, gc', () => {
  const outside = mkdtempSync(join(tmpdir(), 'vmplan-rerun-flag-'));
  afterAll(() => rmSync(outside, { recursive: true, force: true }));

  it('a rerun that passes what failed marks the job and its tests flaky; vmplan flaky lists what flipped', async () => {
    const flag = join(outside, 'fixed-tests');
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  unit:
    run: |
      mkdir -p out
      if [ -e ${flag} ]; then cp pass.xml out/junit.xml; else cp fail.xml out/junit.xml; exit 1; fi
    reports: { junit: [out/*.xml] }
  retried:
    run: |
      n=$(( $(cat ${flag}.count 2>/dev/null || echo 0) + 1 )); echo $n > ${flag}.count; [ $n -ge 2 ]
    retries: 1
`);
    const suite = (adds: string) =>
      `<testsuite name="calc"><testcase classname="calc" name="adds">${adds}</testcase></testsuite>`;
    project.write('fail.xml', suite('<failure message="off by one"/>'));
    project.write('pass.xml', suite(''));
    const first = await runVmplan(['run', '--quiet', '--no-fail-fast'], { cwd: project.root });
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/retried +passed \(flaky, 2 attempts\)/);
    const firstRun = project.latestRun();
    writeFileSync(flag, '');
    const rerun = await runVmplan(['rerun', firstRun, '--failed'], { cwd: project.root });
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    const secondRun = project.latestRun();
    const results = project.state<{
      jobs: Record<string, { flaky: boolean; earlier: unknown; tests: { flaky: unknown[] } }>;
    }>(`runs/${secondRun}/results.json`);
    expect(results.jobs.unit).toMatchObject({
      flaky: true,
      earlier: { run: firstRun, status: 'failed' },
      tests: { flaky: [{ test: 'calc › adds', suite: 'calc', history: ['failed', 'passed'] }] },
    });
    expect(rerun.stdout).toContain('  ~ flaky: calc › adds (failed, passed)');

    const flaky = await runVmplan(['flaky'], { cwd: project.root });
    expect(flaky.code).toBe(0);
    const lines = flaky.stdout.split('\n');
    expect(lines[0]).toBe(`Flaky in the last 2 run(s) in ${join(project.root, '.vmplan')}:`);
    expect(lines.slice(1, 2)).toEqual([expect.stringMatching(/^JOB +TEST +HOW +RUNS$/)]);
    expect(flaky.stdout).toMatch(
      new RegExp(`retried +\\(the job\\) +passed on attempt 2 after failed +${firstRun}`),
    );
    expect(flaky.stdout).toMatch(
      new RegExp(`unit +\\(the job\\) +failed in ${firstRun}, passed in its rerun +${secondRun}`),
    );
    expect(flaky.stdout).toMatch(
      new RegExp(
        `unit +\\(the job\\) +failed → passed on the snapshot of run ${firstRun} +${firstRun}, ${secondRun}`,
      ),
    );
    expect(flaky.stdout).toMatch(new RegExp(`unit +calc › adds +failed → passed +${secondRun}`));
    const json = JSON.parse(
      (await runVmplan(['flaky', '--json', '--runs', '1'], { cwd: project.root })).stdout,
    );
    expect(json).toMatchObject({ command: 'flaky', ok: true, runs: [secondRun] });
    expect(json.findings.map((f: { job: string; test: string | null }) => [f.job, f.test])).toEqual([
      ['unit', null],
      ['unit', 'calc › adds'],
    ]);
    const refused = await runVmplan(['flaky', '--runs', '0'], { cwd: project.root });
    expect([refused.code, refused.stderr]).toEqual([
      2,
      '--runs: expected a positive whole number, found "0"\n',
    ]);
  });

  it('rerun --failed reuses the outputs of jobs that passed: the build is not run again', async () => {
    const flag = join(outside, 'fixed-outputs');
    const builds = join(outside, 'builds');
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  build:
    run: echo build >> ${builds}; mkdir -p dist && echo app > dist/app
    outputs: [dist/]
  test:
    run: cat dist/app && test -e ${flag}
    needs: build
`);
    expect((await runVmplan(['run', '--quiet'], { cwd: project.root })).code).toBe(1);
    const firstRun = project.latestRun();
    writeFileSync(flag, '');
    const rerun = await runVmplan(['rerun', firstRun, '--failed'], { cwd: project.root });
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    const secondRun = project.latestRun();
    const plan = project.state<{ nodes: { id: string; dependsOn: string[]; receives?: unknown }[] }>(
      `runs/${secondRun}/plan.json`,
    );
    expect(plan.nodes.map((node) => [node.id, node.dependsOn, node.receives])).toEqual([
      ['job:test', [], [{ from: 'build', paths: ['dist/'], run: firstRun }]],
    ]);
    expect(readFileSync(builds, 'utf8')).toBe('build\n');
    expect(
      readFileSync(join(project.root, `.vmplan/runs/${secondRun}/jobs/test/host.log`), 'utf8'),
    ).toContain('app\n');
    const shown = await runVmplan(['show', `.vmplan/runs/${firstRun}/plan.json`], { cwd: project.root });
    expect(shown.stdout, shown.stderr).toMatch(/job:build +host +timeout 60m +outputs dist\//);
    expect(shown.stdout).toMatch(/job:test +host +timeout 60m +needs build +gets dist\/ from build/);
  });

  it('reruns only the jobs that did not pass, plus what they need, on the same snapshot', async () => {
    const flag = join(outside, 'fixed');
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  build: { run: echo build }
  flaky: { run: 'test -e ${flag}', needs: build }
  docs: { run: echo docs }
`);
    const first = await runVmplan(['run'], { cwd: project.root });
    expect(first.code).toBe(1);
    const firstRun = project.latestRun();
    writeFileSync(flag, '');
    project.write('added-after.txt', 'not in the first snapshot');

    const rerun = await runVmplan(['rerun', firstRun, '--failed'], { cwd: project.root });
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    const secondRun = project.latestRun();
    expect(secondRun).not.toBe(firstRun);
    expect(project.state(`runs/${secondRun}/run.json`)).toMatchObject({
      rerunOf: firstRun,
      snapshotRun: firstRun,
      status: 'passed',
    });
    const plan = project.state<{ nodes: { id: string }[]; excluded: { job: string; message: string }[] }>(
      `runs/${secondRun}/plan.json`,
    );
    expect(plan.nodes.map((node) => node.id)).toEqual(['job:build', 'job:flaky']);
    expect(plan.excluded).toEqual([
      { job: 'docs', reason: 'not-selected', message: `passed in run ${firstRun}` },
    ]);
    // The rerun used the first run's snapshot: no snapshot of its own.
    expect(existsSync(join(project.root, `.vmplan/runs/${secondRun}/snapshot`))).toBe(false);

    const again = await runVmplan(['rerun', secondRun, '--failed'], { cwd: project.root });
    expect(again.stdout).toBe(`Every job of run ${secondRun} passed: nothing to rerun.\n`);

    const full = await runVmplan(['rerun', 'latest'], { cwd: project.root });
    expect(full.code).toBe(0);
    expect(project.state(`runs/${project.latestRun()}/run.json`)).toMatchObject({
      rerunOf: secondRun,
      snapshotRun: firstRun,
    });

    const status = await runVmplan(['status', firstRun], { cwd: project.root });
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/flaky +failed/);
    const logs = await runVmplan(['logs', firstRun, 'build'], { cwd: project.root });
    expect(logs.stdout).toContain('build\n');
    const badLogs = await runVmplan(['logs', firstRun, 'biuld'], { cwd: project.root });
    expect(badLogs.stderr).toBe(`run ${firstRun} has no job "biuld" (did you mean "build"?)\n`);
    const badRun = await runVmplan(['logs', '../../etc'], { cwd: project.root });
    expect(badRun.code).toBe(2);
    expect(badRun.stderr).toContain('"../../etc" is not a run id');

    // gc keeps the newest run, and the first run too: its snapshot is still in use by the reruns.
    const gc = await runVmplan(['gc', '--keep', '1'], { cwd: project.root });
    expect(gc.stdout).toMatch(/^Deleted 1 run\(s\); 2 kept/);
    expect(readdirSync(join(project.root, '.vmplan/runs')).sort()).toEqual(
      [firstRun, project.latestRun()].sort(),
    );
  }, 60_000);

  it('gc never deletes a run that is still running', async () => {
    // The job runs until the test lets it end (after gc): a fixed sleep could end first on a busy machine.
    const release = join(mkdtempSync(join(tmpdir(), 'vmplan-gc-release-')), 'release');
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  slow: { run: "while [ ! -e ${release} ]; do sleep 0.05; done" }
`);
    const finished = await runVmplan(['run', '--plan', '/dev/null'], { cwd: project.root });
    expect(finished.code).toBe(2);
    const vmplan = spawnVmplan(['run'], { cwd: project.root });
    await vmplan.waitFor('slow started');
    const gc = await runVmplan(['gc', '--keep', '0'], { cwd: project.root });
    writeFileSync(release, '');
    expect(gc.stdout).toMatch(/^Deleted 0 run\(s\); 1 kept/);
    expect((await vmplan.done).code).toBe(0);
    // A folder without run.json yet is a run being created (kept); an old one is debris (deleted).
    const starting = join(project.root, '.vmplan/runs/20991231T235959Z-00000000');
    const debris = join(project.root, '.vmplan/runs/20000101T000000Z-00000000');
    for (const folder of [starting, debris]) mkdirSync(folder, { recursive: true });
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(debris, hourAgo, hourAgo);
    const gcAfter = await runVmplan(['gc', '--keep', '0'], { cwd: project.root });
    expect(gcAfter.stdout).toMatch(/^Deleted 2 run\(s\); 1 kept/);
    expect(existsSync(starting)).toBe(true);
  });
});
