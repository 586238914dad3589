import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';
import { testGuest, testImageYaml, VFKIT_SHIM } from '../support/vm.js';

// Guarantees 1 and 6 through real guests (the vfkit shim boots them with QEMU): a root guest that plants
// symlinks to host files, pipes, device nodes and setuid files in its shares gets none of them, and no host
// file, into the job's folder.

const guest = testGuest();

/** Every entry under a folder, with its own (lstat) type. */
function entries(folder: string): { path: string; mode: number; kind: string }[] {
  const found: { path: string; mode: number; kind: string }[] = [];
  const walk = (relative: string) => {
    for (const name of readdirSync(join(folder, relative))) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const info = lstatSync(join(folder, path));
      const kind = info.isDirectory()
        ? 'dir'
        : info.isFile()
          ? 'file'
          : info.isSymbolicLink()
            ? 'link'
            : 'special';
      found.push({ path, mode: info.mode, kind });
      if (info.isDirectory()) walk(path);
    }
  };
  walk('');
  return found;
}

describe.skipIf(guest === undefined)('a hostile root guest', () => {
  it('brings no host file, link, pipe, device or setuid bit back through its shares', async () => {
    const host = mkdtempSync(join(tmpdir(), 'vmplan-host-secret-'));
    mkdirSync(join(host, 'out'));
    writeFileSync(join(host, 'out/secret.txt'), 'HOST-SECRET-CONTENT\n');
    writeFileSync(
      join(host, 'secret.xml'),
      '<testsuites><testsuite name="HOST-SECRET-CONTENT"/></testsuites>',
    );
    const share = '/run/vmplan-root/job';
    const project = testProject(`version: 1
images:
${testImageYaml(guest!)}
defaults: { image: tiny, executor: vfkit }
jobs:
  links:
    run-as-root: true
    artifacts: [out/**]
    reports: { junit: ["*.xml"] }
    writable-workspace: true
    run: |
      rm -rf ${share}/artifacts ${share}/reports ${share}/result.json ${share}/workspace-changes
      ln -s ${host} ${share}/artifacts
      ln -s ${host} ${share}/reports
      ln -s ${host}/out ${share}/workspace-changes
      ln -s ${host}/out/secret.txt ${share}/result.json
      sync
      echo c > /proc/sysrq-trigger
  specials:
    run-as-root: true
    artifacts: [out/**]
    caches: { kept: /home/vmplan/kept }
    run: |
      mknod /home/vmplan/kept/null c 1 3 || true
      mkfifo /home/vmplan/kept/pipe
      echo '#!/bin/sh' > /home/vmplan/kept/suid && chmod 4755 /home/vmplan/kept/suid
      ln -s ../suid /home/vmplan/kept/link-kept
      mkdir -p ${share}/artifacts/out
      echo fine > ${share}/artifacts/out/fine.txt
      ln -s ${host}/out/secret.txt ${share}/artifacts/out/link.txt
      ln -s ${host}/out ${share}/artifacts/out/folder-link
      mkfifo ${share}/artifacts/out/pipe
      mknod ${share}/artifacts/out/null c 1 3 || true
      echo '#!/bin/sh' > ${share}/artifacts/out/suid && chmod 4755 ${share}/artifacts/out/suid
      sync
      echo c > /proc/sysrq-trigger
`);
    const result = await runVmplan(
      ['run', '--vfkit-path', VFKIT_SHIM, '--no-fail-fast', '--max-parallel', '2'],
      {
        cwd: project.root,
      },
    );
    expect(result.code).toBe(1);
    const runDir = join(project.root, '.vmplan/runs', project.latestRun());
    const everything = entries(runDir);
    // No host file's content anywhere in the run folder: not in artifacts, reports, records or logs.
    for (const entry of everything.filter((e) => e.kind === 'file' && !e.path.includes('/snapshot/'))) {
      expect(readFileSync(join(runDir, entry.path), 'utf8'), entry.path).not.toContain('HOST-SECRET-CONTENT');
    }
    const jobs = everything.filter((e) => e.path.startsWith('jobs/'));
    expect(jobs.filter((e) => e.kind === 'link' || e.kind === 'special')).toEqual([]);
    expect(jobs.filter((e) => (e.mode & 0o7000) !== 0)).toEqual([]);
    // The cache outlives the job: plain files and links stay, nothing special and no setuid bit does.
    const cache = entries(join(project.root, '.vmplan/cache/shared/local/trusted/kept'));
    expect(cache.map((e) => [e.path, e.kind]).sort()).toEqual([
      ['link-kept', 'link'],
      ['suid', 'file'],
    ]);
    expect(cache.filter((e) => (e.mode & 0o7000) !== 0)).toEqual([]);
    // What was plain came back; what was not is named in the job's log.
    expect(readFileSync(join(runDir, 'jobs/specials/artifacts/out/fine.txt'), 'utf8')).toBe('fine\n');
    expect(lstatSync(join(runDir, 'jobs/specials/artifacts/out/suid')).mode & 0o7777).toBe(0o755);
    const log = readFileSync(join(runDir, 'jobs/specials/host.log'), 'utf8');
    expect(log).toContain('left "out/link.txt" behind: it is a symbolic link');
    expect(log).toContain('left "out/pipe" behind: it is a named pipe');
    expect(project.jobStatus('links')).toMatchObject({ status: 'failed' });
    // The host folder itself was not touched.
    expect(execFileSync('ls', ['-A', host], { encoding: 'utf8' }).split('\n').filter(Boolean).sort()).toEqual(
      ['out', 'secret.xml'],
    );
  }, 300_000);
});
