// What `vmplan doctor` and the action's preflight find on this host, gathered in this process (the child-process
// tests in doctor.test.ts see the same through the CLI; mutation testing sees only this process): which folders
// are under RUNNER_TEMP, the nearest folder a missing one will be made in, the runner found from RUNNER_WORKSPACE,
// and debootstrap standing in for mmdebstrap.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkHost, checksMarkdown, type HostFacts } from '../../src/doctor/checks.js';
import { findRunnerDir, gatherFacts } from '../../src/doctor/facts.js';
import { fakeRunnerDir } from '../support/runner-dir.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-doctor-facts-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A runner install folder whose Runner.Listener says `version`. */
const runnerDir = (version: string) => fakeRunnerDir(folder, version);

describe("doctor's facts about folders", () => {
  it('counts a folder as under RUNNER_TEMP only when it is inside it (a sibling sharing its name is not)', () => {
    const temp = join(folder, 'temp');
    mkdirSync(temp);
    const facts = gatherFacts({
      executors: [],
      env: { RUNNER_TEMP: temp },
      folders: [
        { what: 'state folder', path: join(temp, 'vmplan'), persistent: false },
        { what: 'cache folder', path: join(folder, 'temp-cache'), persistent: true },
        { what: 'other cache', path: join(folder, '..temp'), persistent: true },
        { what: 'temp itself', path: temp, persistent: true },
      ],
    });
    expect(facts.folders.map((entry) => [entry.what, entry.underRunnerTemp])).toEqual([
      ['state folder', true],
      ['cache folder', false],
      ['other cache', false],
      ['temp itself', true],
    ]);
    // Without RUNNER_TEMP (not under a runner) nothing is.
    const local = gatherFacts({
      executors: [],
      env: {},
      folders: [{ what: 'cache folder', path: join(temp, 'c'), persistent: true }],
    });
    expect(local.folders[0]?.underRunnerTemp).toBe(false);
    // The doctor warns of the persistent one under RUNNER_TEMP only.
    const checks = checkHost(facts);
    expect(checks.filter((check) => check.summary.includes('under RUNNER_TEMP')).map((c) => c.id)).toEqual([
      'temp-itself',
    ]);
  });

  it('judges a folder not made yet by the nearest folder above it, and names a file in the way', () => {
    const facts = gatherFacts({
      executors: [],
      env: {},
      folders: [
        { what: 'state folder', path: join(folder, 'not', 'yet', 'made'), persistent: false },
        { what: 'cache folder', path: join(folder, 'a-file', 'cache'), persistent: true },
      ],
    });
    writeFileSync(join(folder, 'a-file'), 'x');
    const blocked = gatherFacts({
      executors: [],
      env: {},
      folders: [{ what: 'cache folder', path: join(folder, 'a-file', 'cache'), persistent: true }],
    });
    expect(facts.folders[0]?.problem).toBeUndefined();
    expect(facts.folders[0]?.freeBytes).toBeGreaterThan(0);
    expect(blocked.folders[0]).toEqual({
      what: 'cache folder',
      path: join(folder, 'a-file', 'cache'),
      persistent: true,
      underRunnerTemp: false,
      problem: `${join(folder, 'a-file')} is a file, not a folder`,
    });
  });
});

describe("doctor's facts about the runner", () => {
  it('finds the runner two levels above RUNNER_WORKSPACE (<runner>/_work/<repo>), as the preflight does', () => {
    const runner = runnerDir('2.330.0');
    const env = { RUNNER_WORKSPACE: join(runner, '_work', 'widgets') };
    expect(findRunnerDir(env)).toBe(runner);
    expect(findRunnerDir({ RUNNER_WORKSPACE: join(runner, '_work') })).toBeUndefined();
    expect(gatherFacts({ executors: [], env, folders: [] }).runner).toEqual({
      dir: runner,
      versionOutput: '2.330.0\n',
    });
  });

  it('tells a missing runner folder from a folder without bin/Runner.Listener', () => {
    const empty = mkdtempSync(join(folder, 'empty-'));
    const facts = (dir: string) =>
      gatherFacts({ executors: [], env: {}, runnerDir: dir, folders: [] }).runner;
    expect(facts(join(folder, 'gone'))).toEqual({ dir: join(folder, 'gone'), missing: 'folder' });
    expect(facts(empty)).toEqual({ dir: empty, missing: 'listener' });
  });
});

describe("doctor's facts about image builds", () => {
  it.runIf(process.platform === 'linux')('takes debootstrap where mmdebstrap is missing', () => {
    const bin = mkdtempSync(join(folder, 'bin-'));
    symlinkSync('/bin/true', join(bin, 'debootstrap'));
    symlinkSync('/bin/true', join(bin, 'cpio'));
    const facts = gatherFacts({ executors: [], env: { PATH: bin }, folders: [], imageBuild: true });
    expect(facts.imageBuild?.tools.mmdebstrap).toBe(join(bin, 'debootstrap'));
    expect(facts.imageBuild?.tools.cpio).toBe(join(bin, 'cpio'));
    expect(facts.imageBuild?.tools['apt-get']).toBeNull();
  });
});

describe("doctor's Markdown (the action's job summary)", () => {
  it('lists problems first, then warnings, then what is fine, and keeps a | in a path inside its cell', () => {
    const folders: HostFacts['folders'] = [
      { what: 'fine folder', path: '/ok', underRunnerTemp: false, persistent: false, freeBytes: 50e9 },
      { what: 'low folder', path: '/low', underRunnerTemp: false, persistent: false, freeBytes: 1e9 },
      { what: 'bad folder', path: '/a|b', underRunnerTemp: false, persistent: false, problem: 'x|y' },
    ];
    const rows = checksMarkdown(checkHost({ platform: 'linux', arch: 'x64', executors: [], folders }))
      .split('\n')
      .filter((line) => /^\| [✘!✔] \|/.test(line));
    expect(rows).toEqual([
      '| ✘ | bad folder /a\\|b: x\\|y |  |',
      '| ! | low folder /low: only 1.0 GB free | free space, or prune: vmplan gc --keep 20 --max-size 20GB |',
      '| ✔ | fine folder /ok: 50.0 GB free |  |',
    ]);
  });
});
