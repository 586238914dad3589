// The action's post step and its question to GitHub about another workflow run, in this process (mutation testing
// sees them): a post step with no run says so and warns of nothing; one after a main step that died finishes that
// run as cancelled and says so; another run is never asked about without a repository and a token.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActionInputs } from '../../src/action/inputs.js';
import { otherRunFacts } from '../../src/action/other-run.js';
import type { WorkflowContext } from '../../src/action/workflow-context.js';
import { InputError } from '../../src/errors.js';
import { ActionHarness, makeWorkspace } from '../support/github/action-harness.js';

const JOBS = 'version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: echo a }\n';

/** A harness on a fresh workspace, without a token: no check runs, no GitHub API. */
function harness(): ActionHarness {
  const workspace = makeWorkspace({ '.github/vmplan.yml': JOBS });
  return new ActionHarness(
    workspace.root,
    { 'github-token': '', 'check-runs': 'false' },
    {},
    {
      name: 'push',
      payload: {},
    },
  );
}

describe('the post step (in process)', () => {
  it('says there is nothing to clean up when the main step started no run, warning of nothing', async () => {
    const post = await harness().runInProcess('post', {});
    expect(post.code).toBe(0);
    expect(post.stdout).toContain('vmplan: no run was started; nothing to clean up');
    expect(post.commands).toEqual([]);
  });

  it('finishes a run its main step left running (its vmplan gone) as cancelled, and says so', async () => {
    const steps = harness();
    const main = await steps.runInProcess('main');
    expect(main.code, main.stdout).toBe(0);
    // As if the main step had been killed mid-run: run.json still running, its vmplan process gone.
    const runFile = join(main.state['run-dir']!, 'run.json');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const record = JSON.parse(readFileSync(runFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(
      runFile,
      JSON.stringify({
        ...record,
        status: 'running',
        finishedAt: null,
        host: { ...(record.host as object), pid: dead },
      }),
    );

    const post = await steps.runInProcess('post', main.state);
    expect(post.code).toBe(0);
    expect(post.stdout).toMatch(
      /vmplan: run \S+ was left running; stopped what it left and recorded it as cancelled\n/,
    );
    expect(post.commands).toEqual([]);
    const after = JSON.parse(readFileSync(runFile, 'utf8')) as { status: string; message: string };
    expect(after.status).toBe('cancelled');
    expect(after.message).toBe(`vmplan (pid ${dead}) ended without finishing the run`);
  });
});

describe('asking GitHub what another workflow run was', () => {
  const context = (repository: string | null) =>
    // A closed port: a request sent at all fails with another message.
    ({ repository, apiUrl: 'http://127.0.0.1:9' }) as WorkflowContext;
  const inputs = (token: string) => ({ 'github-token': token }) as ActionInputs;
  const refusal =
    'cannot tell what workflow run 7 was: asking GitHub needs the repository (GITHUB_REPOSITORY) and the github-token input (with actions: read)';

  it('refuses without a token or a repository, sending nothing', async () => {
    await expect(otherRunFacts(inputs(''), context('acme/widgets'), 7)).rejects.toThrow(
      new InputError(refusal),
    );
    for (const repository of [null, '', 'acme'])
      await expect(
        otherRunFacts(inputs('t0ken'), context(repository), 7),
        String(repository),
      ).rejects.toThrow(new InputError(refusal));
  });
});
