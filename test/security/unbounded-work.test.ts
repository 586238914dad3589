import { lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';
import { testGuest, testImageYaml } from '../support/vm.js';

// Guarantee "a job's bytes cost the host at most its limits, and no job's report delays another job": a root
// guest leaves sparse artifacts of gigabytes, a sparse guest.log, and a 14 MB JUnit report with 20 hard links
// to it, while another job waits for its own timeout.

const guest = testGuest();
const JOB = '/run/vmplan-root/job';
const MiB = 2 ** 20;

/** A JUnit report of about `bytes`, every case failed (the slow path of the parser). */
function bigJunit(bytes: number): string {
  const cases: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const one = `<testcase classname="pkg.Class${i % 100}" name="case ${i}" time="0.01"><failure message="boom ${i}">at x.y(Z.java:${i})</failure></testcase>\n`;
    cases.push(one);
    size += one.length;
  }
  return `<testsuites><testsuite name="big">${cases.join('')}</testsuite></testsuites>\n`;
}

/** Bytes a folder's files occupy (st_blocks), not what they claim. */
function occupied(folder: string): number {
  let total = 0;
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    const info = lstatSync(join(entry.parentPath, entry.name));
    if (info.isFile()) total += info.blocks * 512;
  }
  return total;
}

describe.skipIf(guest === undefined)('a job that makes the host work without end', () => {
  it('costs the host what its limits allow, once per file, and never delays another job', async () => {
    const TIMEOUT_MINUTES = 0.75;
    const project = testProject(`version: 1
images:
${testImageYaml(guest!)}
defaults: { image: tiny, executor: qemu }
jobs:
  sparse:
    run-as-root: true
    artifacts: ["*.img"]
    limits: { artifact-bytes: 1GiB, log-bytes: 8MiB }
    run: |
      mkdir -p ${JOB}/artifacts
      dd if=/dev/urandom of=${JOB}/artifacts/data.img bs=4096 count=16 2>/dev/null
      truncate -s 600M ${JOB}/artifacts/data.img
      truncate -s 2G ${JOB}/artifacts/huge.img
      truncate -s 256M ${JOB}/guest.log
      echo after the hole
  links:
    run-as-root: true
    reports: { junit: ["reports/*.xml"] }
    run: |
      mkdir -p ${JOB}/reports/reports
      cp /workspace/big.xml ${JOB}/reports/reports/r00.xml
      for i in $(seq 1 20); do ln ${JOB}/reports/reports/r00.xml ${JOB}/reports/reports/r$i.xml; done
  slow:
    timeout-minutes: ${TIMEOUT_MINUTES}
    run: sleep 600
`);
    writeFileSync(join(project.root, 'big.xml'), bigJunit(14 * 1000 * 1000));
    const result = await runVmplan(['run', '--no-fail-fast', '--max-parallel', '3'], { cwd: project.root });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const jobs = join(project.root, '.vmplan/runs', project.latestRun(), 'jobs');

    // Sparse stays sparse; what is longer than the limit stays behind, named in the log.
    const data = statSync(join(jobs, 'sparse/artifacts/data.img'));
    expect(data.size).toBe(600 * MiB);
    expect(data.blocks * 512).toBeLessThan(4 * MiB);
    expect(readdirSync(join(jobs, 'sparse/artifacts'))).toEqual(['data.img']);
    const sparseLog = readFileSync(join(jobs, 'sparse/host.log'), 'utf8');
    expect(sparseLog).toContain('left artifact "huge.img" behind: it is 2.1 GB');
    expect(sparseLog).toContain('limits.artifact-bytes');
    // guest.log stops at its limit, saying so.
    expect(statSync(join(jobs, 'sparse/guest.log')).size).toBeLessThan(8 * MiB + 4096);
    expect(readFileSync(join(jobs, 'sparse/guest.log'), 'utf8')).toContain('limits.log-bytes');
    expect(occupied(join(jobs, 'sparse'))).toBeLessThan(16 * MiB);

    // Twenty-one names of one report: copied once, read once (its cases counted once), the others named.
    expect(readdirSync(join(jobs, 'links/reports/reports'))).toEqual(['r00.xml']);
    expect(readFileSync(join(jobs, 'links/host.log'), 'utf8')).toContain(
      'left report "reports/r1.xml" behind: it is a hard link to "reports/r00.xml", brought back once',
    );
    const results = JSON.parse(
      readFileSync(join(project.root, '.vmplan/runs', project.latestRun(), 'results.json'), 'utf8'),
    ) as { jobs: Record<string, { tests: { total: number } | null }> };
    const cases = (readFileSync(join(project.root, 'big.xml'), 'utf8').match(/<testcase /g) ?? []).length;
    expect(results.jobs.links?.tests?.total).toBe(cases);

    // The other job's timeout fired on time while the report was read: measured against its own deadline
    // (grace to stop included), with room for a busy machine, far below the parse of 21 × 14 MB.
    const slow = project.jobStatus('slow');
    expect(slow.status).toBe('timed_out');
    expect(slow.durationMs! - TIMEOUT_MINUTES * 60_000).toBeLessThan(20_000);
  }, 600_000);
});
