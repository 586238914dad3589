// What the logs artifact is made of, on a real run folder: the regular files of the records and of each job,
// never a link the guest planted (the artifact client's zip step would follow it to a host file), a pipe (it would
// wait on it), `secrets.env`, the snapshot or a workspace (the repository, and whatever a job left in it), nor the
// guest's share other than its result.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logsArtifactFiles } from '../../src/github/artifacts.js';

const root = mkdtempSync(join(tmpdir(), 'vmplan-logs-artifact-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the logs artifact', () => {
  it('holds the regular files of the records and jobs: no link, pipe, secrets.env, snapshot, workspace or share', () => {
    const run = join(root, 'run');
    const hostSecret = join(root, 'id_rsa');
    writeFileSync(hostSecret, 'HOST PRIVATE KEY');
    const file = (path: string, text = 'x') => {
      mkdirSync(dirname(join(run, path)), { recursive: true });
      writeFileSync(join(run, path), text);
    };
    for (const path of [
      'run.json',
      'plan.json',
      'results.json',
      'jobs/unit/node.json',
      'jobs/unit/host.log',
      'jobs/unit/guest.log',
      'jobs/unit/console.log',
      'jobs/unit/guest/result.json',
      'jobs/unit/artifacts/out/report.txt',
      'jobs/unit/reports/junit.xml',
      'jobs/unit/workspace-changes/src/a.c',
      'jobs/unit/workspace-deleted.txt',
    ])
      file(path);
    // Left out: the guest's share but its result.json, the repository's copies, inputs, secrets.
    for (const path of [
      'jobs/unit/guest/job.env',
      'jobs/unit/guest/command.sh',
      'jobs/unit/guest/secrets.env',
      'jobs/unit/workspace/.env',
      'jobs/unit/snapshot-view/README',
      'jobs/unit/inputs/build/app',
      'jobs/unit/outputs/app',
      'snapshot/README',
      'jobs/host-job/secrets.env',
    ])
      file(path, 'TOKEN=hunter2');
    file('jobs/unit/empty.log', '');
    symlinkSync(hostSecret, join(run, 'jobs/unit/artifacts/out/id_rsa'));
    symlinkSync(dirname(hostSecret), join(run, 'jobs/unit/reports/host'));
    execFileSync('mkfifo', [join(run, 'jobs/unit/artifacts/pipe')]);

    expect(
      logsArtifactFiles(run)
        .map((path) => relative(run, path))
        .sort(),
    ).toEqual([
      'jobs/unit/artifacts/out/report.txt',
      'jobs/unit/console.log',
      'jobs/unit/guest.log',
      'jobs/unit/guest/result.json',
      'jobs/unit/host.log',
      'jobs/unit/node.json',
      'jobs/unit/reports/junit.xml',
      'jobs/unit/workspace-changes/src/a.c',
      'jobs/unit/workspace-deleted.txt',
      'plan.json',
      'results.json',
      'run.json',
    ]);
  });

  it('never takes a result.json the guest made a link', () => {
    const run = join(root, 'linked-result');
    mkdirSync(join(run, 'jobs/unit/guest'), { recursive: true });
    writeFileSync(join(root, 'host-file'), 'HOST');
    symlinkSync(join(root, 'host-file'), join(run, 'jobs/unit/guest/result.json'));
    expect(logsArtifactFiles(run)).toEqual([]);
  });
});
