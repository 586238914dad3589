import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionHarness, makeWorkspace } from '../support/github/action-harness.js';
import { type GitHubServices, startGitHubServices } from '../support/github/services.js';
import { TwirpArtifacts } from '../support/github/twirp-artifacts.js';

// Guarantee 8: a secret a job prints into a JUnit report, an artifact (text or binary) or its output reaches
// nothing that leaves the machine unmasked: not the check runs, the summary, results.json or the logs artifact.

let services: GitHubServices;

beforeAll(async () => {
  services = await startGitHubServices();
}, 60_000);

afterAll(async () => {
  await services?.stop();
});

/** Every file under a folder, with its bytes. */
function filesUnder(folder: string): { path: string; bytes: Buffer }[] {
  return (readdirSync(folder, { recursive: true }) as string[])
    .filter((path) => statSync(join(folder, path)).isFile())
    .map((path) => ({ path, bytes: readFileSync(join(folder, path)) }));
}

describe('secrets leaving the machine', () => {
  it('are masked in check runs, the summary, results.json and every file of the logs artifact', async () => {
    const secret = `s3cr3t-${Date.now()}-value`;
    const workspace = makeWorkspace({
      '.github/vmplan.yml': `version: 1
defaults: { executor: host }
jobs:
  leaky:
    secrets: [LEAKY_TOKEN]
    run: |
      echo "token is $LEAKY_TOKEN"
      mkdir -p out
      echo "config: $LEAKY_TOKEN" > out/config.txt
      { printf '\\x00\\x01\\xff'; printf '%s' "$LEAKY_TOKEN"; printf '\\xfe\\x00'; } > out/blob.bin
      printf '<testsuite name="s"><testcase classname="c" name="uses the token" file="src/app.js" line="1"><failure message="bad token %s">expected %s at src/app.js:1</failure></testcase></testsuite>' "$LEAKY_TOKEN" "$LEAKY_TOKEN" > junit.xml
      exit 1
    artifacts: [out/**]
    reports: { junit: [junit.xml] }
`,
      'src/app.js': 'module.exports = 1;\n',
    });
    const runtimeToken = TwirpArtifacts.token('run-secrets', 'job-secrets');
    const harness = new ActionHarness(
      workspace.root,
      { 'github-token': 'test-token', 'check-runs': 'true' },
      { LEAKY_TOKEN: secret },
      { name: 'push', payload: {} },
      { resultsUrl: services.resultsUrl, runtimeToken, apiUrl: services.apiUrl },
    );
    const main = await harness.start('main').done;
    expect(main.code).toBe(1);
    // The job really used the secret (its failure annotation is there, masked).
    expect(JSON.stringify(services.api.requests)).toContain('bad token ***');
    expect(JSON.stringify(services.api.requests)).not.toContain(secret);
    expect(main.summary).not.toContain(secret);
    // The only place the value appears in the log is the add-mask command that hides it.
    expect(main.stdout.split(secret)).toHaveLength(2);
    expect(main.stdout).toContain(`::add-mask::${secret}`);

    process.env.ACTIONS_RUNTIME_TOKEN = runtimeToken;
    process.env.ACTIONS_RESULTS_URL = services.resultsUrl;
    process.env.NO_PROXY = '127.0.0.1,localhost';
    const { DefaultArtifactClient } = await import('@actions/artifact');
    const client = new DefaultArtifactClient();
    const uploaded = services.twirp.artifacts.filter((a) => a.runBackendId === 'run-secrets');
    expect(uploaded.map((a) => a.name.replace(/-vm-tests.*$/, '')).sort()).toEqual([
      'vmplan-logs',
      'vmplan-plan',
      'vmplan-results',
    ]);
    const needle = Buffer.from(secret);
    let checked = 0;
    for (const artifact of uploaded) {
      const folder = mkdtempSync(join(tmpdir(), 'vmplan-secrets-download-'));
      await client.downloadArtifact(Number(artifact.id), { path: folder });
      for (const file of filesUnder(folder)) {
        checked++;
        expect(file.bytes.includes(needle), `${artifact.name}: ${file.path}`).toBe(false);
      }
      if (artifact.name.startsWith('vmplan-logs')) {
        const blob = readFileSync(join(folder, 'jobs/leaky/artifacts/out/blob.bin'));
        // The binary artifact kept every other byte.
        expect(
          blob.equals(Buffer.concat([Buffer.from([0, 1, 0xff]), Buffer.from('***'), Buffer.from([0xfe, 0])])),
        ).toBe(true);
        expect(readFileSync(join(folder, 'jobs/leaky/reports/junit.xml'), 'utf8')).toContain('bad token ***');
      }
    }
    expect(checked).toBeGreaterThan(5);
  }, 120_000);
});
