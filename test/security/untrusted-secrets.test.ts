import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runVmplan } from '../support/cli.js';
import { ActionHarness, makeWorkspace } from '../support/github/action-harness.js';
import { type TestProject, testProject } from '../support/project.js';
import { testGuest, testImageYaml, VFKIT_SHIM } from '../support/vm.js';

// Guarantees "Secrets are for trusted runs", "A fork's snapshot holds only what git tracks" and "Secrets are
// masked in everything that leaves the machine" (one masker for the whole run, workspace-changes included).

const FORK_PR = {
  pull_request: {
    head: { sha: 'f'.repeat(40), ref: 'feature', repo: { full_name: 'mallory/widgets' } },
    base: { sha: 'e'.repeat(40), repo: { full_name: 'acme/widgets' } },
  },
};
const SAME_REPO_PR = {
  pull_request: {
    head: { sha: 'f'.repeat(40), ref: 'feature', repo: { full_name: 'acme/widgets' } },
    base: { sha: 'e'.repeat(40), repo: { full_name: 'acme/widgets' } },
  },
};

/** A value no test output could contain by chance. */
const secretValue = (what: string) => `${what}-${randomBytes(8).toString('hex')}`;

/** A VM jobs file whose image files are the repository's own (so only what the test is about is refused). */
const vmJobs = (jobs: string, top = '') => `version: 1
${top}images:
  guest: { arch: arm64, kernel: k, initrd: i }
defaults: { image: guest }
jobs:
${jobs}`;

/** The runs the action made in its state folder (none when it refused before anything ran). */
const runsOf = (harness: ActionHarness): string[] => {
  const runs = join(harness.temp, 'vmplan', 'runs');
  return existsSync(runs) ? readdirSync(runs) : [];
};

const errorsOf = (main: { commands: { command: string; message: string }[] }) =>
  main.commands.filter((c) => c.command === 'error').map((c) => c.message);

describe('an untrusted run and the runner variables', () => {
  it('refuses a jobs file naming a runner variable under secrets (pull_request_target), running nothing', async () => {
    const key = secretValue('deploy');
    const marker = join(tmpdir(), `vmplan-secret-${randomBytes(4).toString('hex')}`);
    const workspace = makeWorkspace({
      '.github/vmplan.yml': vmJobs(`  steal:
    secrets: [OPERATOR_DEPLOY_KEY]
    run: echo "$OPERATOR_DEPLOY_KEY" | rev > ${marker}
`),
    });
    const harness = new ActionHarness(
      workspace.root,
      { 'github-token': 't' },
      { OPERATOR_DEPLOY_KEY: key },
      { name: 'pull_request_target', payload: SAME_REPO_PR },
    );
    const main = await harness.start('main').done;
    expect(main.code).toBe(1);
    expect(errorsOf(main)).toEqual([
      expect.stringMatching(
        /^\.github\/vmplan\.yml.*jobs\.steal\.secrets: names the runner variable\(s\) OPERATOR_DEPLOY_KEY; trust: auto \(untrusted on pull_request_target\) hands no secret to a job unless the workflow allows it by name in untrusted-secrets \(none are allowed\)/,
      ),
    ]);
    expect(runsOf(harness)).toEqual([]);
    expect(existsSync(marker)).toBe(false);
    // Never said in clear, reversed or not.
    expect(main.stdout).not.toContain([...key].reverse().join(''));
  }, 60_000);

  it('allows exactly the names in untrusted-secrets (a fork), and names the rest', async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': vmJobs(`  publish:
    secrets: [NPM_READ_TOKEN, OPERATOR_DEPLOY_KEY]
    run: "true"
`),
    });
    const harness = new ActionHarness(
      workspace.root,
      { 'github-token': 't', 'untrusted-secrets': 'NPM_READ_TOKEN, OTHER_READ_TOKEN' },
      { NPM_READ_TOKEN: 'npm', OPERATOR_DEPLOY_KEY: secretValue('deploy') },
      { name: 'pull_request', payload: FORK_PR },
    );
    const main = await harness.start('main').done;
    expect(main.code).toBe(1);
    const errors = errorsOf(main);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /jobs\.publish\.secrets: names the runner variable\(s\) OPERATOR_DEPLOY_KEY; trust: auto \(untrusted for a pull request from a fork\) .* \(only NPM_READ_TOKEN, OTHER_READ_TOKEN are allowed\)/,
    );
    expect(runsOf(harness)).toEqual([]);
  }, 60_000);

  it('refuses workspace.include-ignored in an untrusted run, before any snapshot is made', async () => {
    const workspace = makeWorkspace({
      '.gitignore': 'runner.env\n',
      '.github/vmplan.yml': vmJobs(
        `  peek:\n    run: cat runner.env\n`,
        'workspace: { include-ignored: [runner.env] }\n',
      ),
    });
    const harness = new ActionHarness(
      workspace.root,
      { 'github-token': 't' },
      {},
      { name: 'pull_request', payload: FORK_PR },
    );
    const main = await harness.start('main').done;
    expect(main.code).toBe(1);
    expect(errorsOf(main)).toEqual([
      expect.stringMatching(
        /workspace\.include-ignored: brings files git ignores \(runner\.env\) from the runner's checkout into the snapshot; trust: auto \(untrusted for a pull request from a fork\) snapshots only the files git tracks/,
      ),
    ]);
    expect(runsOf(harness)).toEqual([]);
  }, 60_000);
});

/** Every regular file under a folder, with its bytes (links are not followed). */
function filesUnder(folder: string): { path: string; bytes: Buffer }[] {
  return (readdirSync(folder, { recursive: true }) as string[])
    .filter((path) => statSync(join(folder, path)).isFile())
    .map((path) => ({ path, bytes: readFileSync(join(folder, path)) }));
}

/** A job's folder in the newest run of a project. */
const jobDir = (project: TestProject, job: string) =>
  join(project.root, '.vmplan/runs', project.latestRun(), 'jobs', job);

describe('a trusted run and the secrets other jobs name', () => {
  it('gives a host job no runner variable another job names, and masks it in every job’s files', async () => {
    const key = secretValue('deploy');
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  make:
    secrets: [DEPLOY_KEY]
    run: printf '%s' "$DEPLOY_KEY" > token.txt
    outputs: [token.txt]
  lint:
    run: |
      echo "lint saw DEPLOY_KEY=\${DEPLOY_KEY:-nothing}"
      env > env.txt
    artifacts: [env.txt]
  ship:
    needs: [make]
    run: cp token.txt shipped.txt
    artifacts: [shipped.txt]
`);
    const result = await runVmplan(['run', '--max-parallel', '1'], {
      cwd: project.root,
      env: { DEPLOY_KEY: key },
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // The job that does not name it never had it: not in its environment, not in its artifact.
    expect(readFileSync(join(jobDir(project, 'lint'), 'host.log'), 'utf8')).toContain(
      'lint saw DEPLOY_KEY=nothing',
    );
    const lintEnv = readFileSync(join(jobDir(project, 'lint'), 'artifacts/env.txt'), 'utf8');
    expect(lintEnv).toMatch(/^PATH=/m);
    expect(lintEnv).not.toMatch(/^DEPLOY_KEY=/m);
    // A job that came by the value some other way (another job's outputs) has it masked in its artifact.
    expect(readFileSync(join(jobDir(project, 'ship'), 'artifacts/shipped.txt'), 'utf8')).toBe('***');
    for (const file of filesUnder(join(project.root, '.vmplan/runs', project.latestRun())))
      if (!file.path.includes('/outputs/') && !file.path.includes('/workspace/'))
        expect(file.bytes.includes(Buffer.from(key)), file.path).toBe(false);
  }, 120_000);

  it('gives an image build no runner variable a job names', async () => {
    const key = secretValue('deploy');
    const seen = join(mkdtempSync(join(tmpdir(), 'vmplan-build-env-')), 'env.txt');
    afterAll(() => rmSync(seen, { force: true }));
    const project = testProject(`version: 1
images:
  built: { arch: arm64, build: "env > ${seen}; exit 1" }
jobs:
  deploy:
    executor: host
    secrets: [DEPLOY_KEY]
    run: "true"
  boot:
    executor: vfkit
    image: built
    run: "true"
`);
    const result = await runVmplan(['run', '--vfkit-path', VFKIT_SHIM], {
      cwd: project.root,
      env: { DEPLOY_KEY: key, UNNAMED_VARIABLE: 'inherited' },
    });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const env = readFileSync(seen, 'utf8');
    expect(env).toContain('UNNAMED_VARIABLE=inherited');
    expect(env).not.toMatch(/^DEPLOY_KEY=/m);
    expect(env).not.toContain(key);
  }, 120_000);
});

const guest = testGuest();

/** A project whose files are committed (what a checkout of a pull request is), with a test-guest image. */
function guestProject(jobs: string): TestProject {
  const project = testProject(`version: 1
images:
${testImageYaml(guest!)}
defaults: { image: tiny, executor: vfkit }
jobs:
${jobs}`);
  project.write('README.md', 'tracked\n');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: project.root });
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', '.');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'jobs');
  return project;
}

const untrusted = ['--trust', 'untrusted', '--trusted-image-path'];
/** `vmplan run` through the vfkit shim. */
const runVm = (args: string[], options: Parameters<typeof runVmplan>[1]) =>
  runVmplan(['run', '--vfkit-path', VFKIT_SHIM, ...args], options);

describe.skipIf(guest === undefined)('guests and secrets', () => {
  it('an untrusted guest gets the secrets the workflow allows, and nothing else of the runner', async () => {
    const allowed = secretValue('npm');
    const other = secretValue('deploy');
    const project = guestProject(`  read:
    secrets: [NPM_READ_TOKEN]
    run: |
      echo "got $(printf '%s' "$NPM_READ_TOKEN" | sed 's/./&-/g')"
      env | sed 's/./&-/g'
`);
    const env = { NPM_READ_TOKEN: allowed, OPERATOR_DEPLOY_KEY: other };
    const refused = await runVm([...untrusted, guest!], { cwd: project.root, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /jobs\.read\.secrets: names the runner variable\(s\) NPM_READ_TOKEN; trust: untrusted hands no secret/,
    );
    expect(existsSync(join(project.root, '.vmplan/runs'))).toBe(false);

    const run = await runVm([...untrusted, guest!, '--untrusted-secret', 'NPM_READ_TOKEN'], {
      cwd: project.root,
      env,
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const log = readFileSync(join(jobDir(project, 'read'), 'guest.log'), 'utf8');
    const dashed = (value: string) => value.replace(/./g, '$&-');
    expect(log).toContain(`got ${dashed(allowed)}`);
    expect(log).not.toContain(dashed(other));
    expect(log).not.toContain(dashed('OPERATOR_DEPLOY_KEY'));
  }, 300_000);

  it("an untrusted guest sees only what git tracks: not an untracked file of the runner's checkout", async () => {
    const token = secretValue('npmrc');
    const project = guestProject(`  look:
    run: |
      ls -a
      cat .npmrc 2>/dev/null || echo "no .npmrc here"
`);
    // Written by an earlier step of the workflow, and not ignored by the pull request's .gitignore.
    project.write('.npmrc', `//registry.example/:_authToken=${token}\n`);
    const run = await runVm([...untrusted, guest!], { cwd: project.root });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const log = readFileSync(join(jobDir(project, 'look'), 'guest.log'), 'utf8');
    expect(log).toContain('README.md');
    expect(log).toContain('no .npmrc here');
    expect(log).not.toContain(token);
    // A trusted run still snapshots what git would commit.
    const trusted = await runVm([], { cwd: project.root });
    expect(trusted.code).toBe(0);
    expect(readFileSync(join(jobDir(project, 'look'), 'guest.log'), 'utf8')).toContain(token);
  }, 300_000);

  it('masks a token a writable-workspace job wrote into a file, and into a name, in workspace-changes', async () => {
    const token = secretValue('npm');
    const project = guestProject(`  login:
    secrets: [NPM_TOKEN]
    writable-workspace: true
    run: |
      echo "//registry.example/:_authToken=$NPM_TOKEN" > .npmrc
      printf 'bin\\000%s\\377' "$NPM_TOKEN" > blob.bin
      echo kept > "named-$NPM_TOKEN.txt"
`);
    const run = await runVm([], { cwd: project.root, env: { NPM_TOKEN: token } });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const changes = join(jobDir(project, 'login'), 'workspace-changes');
    const files = filesUnder(changes);
    const named = (name: string) => files.find((file) => file.path.endsWith(name));
    expect(named('.npmrc')?.bytes.toString()).toBe('//registry.example/:_authToken=***\n');
    expect(named('blob.bin')?.bytes.equals(Buffer.from('bin\0***\xff', 'latin1'))).toBe(true);
    expect(named('named-***.txt')?.bytes.toString()).toBe('kept\n');
    for (const file of files) {
      expect(file.path).not.toContain(token);
      expect(file.bytes.includes(Buffer.from(token)), file.path).toBe(false);
    }
  }, 300_000);
});
