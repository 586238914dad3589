import * as core from '@actions/core';
import { executorOptions } from '../executors/catalog.js';

/**
 * The action's interface, declared once: every input (with the default action.yml gives it), every output and every
 * state key the main step leaves for the post step. action.yml must say the same (test/unit/action-metadata.test.ts
 * checks names, descriptions and defaults); the code reads and sets them only through these names.
 */

/** One input of action.yml: its description and default (a workflow expression where the runner fills it in). */
export interface InputDeclaration {
  description: string;
  default: string;
}

/** The action's own inputs (the executors' inputs come from the executor table, see INPUTS). */
const OWN_INPUTS = {
  jobs: {
    description:
      'The jobs file (a path relative to the workspace), or the jobs YAML itself written inline with `jobs: |`.',
    default: '.github/vmplan.yml',
  },
  only: {
    description: 'Run only these jobs (and what they need); comma- or newline-separated job ids.',
    default: '',
  },
  executor: {
    description:
      'Force an executor for VM jobs (vfkit, qemu) or run everything on the host (host). Default - vfkit on macOS, qemu on Linux, unless the jobs file says otherwise.',
    default: '',
  },
  'max-parallel': {
    description:
      "Most jobs running at once. Default - the runner's CPU count (VMs never get more CPUs or memory than the machine has).",
    default: '',
  },
  'fail-fast': {
    description: 'After the first failure, start nothing new and cancel running jobs (true or false).',
    default: 'true',
  },
  'state-dir': {
    description:
      "Where this workflow run's runs, plans and logs are kept on the runner (emptied with RUNNER_TEMP after the job; the cache-dir keeps what outlives runs).",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression the runner fills in
    default: '${{ runner.temp }}/vmplan',
  },
  'cache-dir': {
    description:
      "Where what outlives workflow runs is kept - the image cache, named caches, recorded durations. Default - the runner user's cache folder (~/Library/Caches/vmplan on macOS, $XDG_CACHE_HOME/vmplan or ~/.cache/vmplan on Linux), or VMPLAN_CACHE_DIR.",
    default: '',
  },
  'cache-max-size': {
    description:
      'After each run, prune the cache-dir to this size, least recently used first and never what a running job uses (e.g. 20GB, 500MB; 0 empties it of unused entries; empty - no pruning).',
    default: '20GB',
  },
  'min-free': {
    description:
      'Free space the state and cache folders need before a run starts, or the run is refused with what pruning would free (e.g. 5GB). Default - 2 GB when a job runs in a VM, no check otherwise.',
    default: '',
  },
  plan: {
    description:
      'A plan.json to execute instead of planning (for example one downloaded from an earlier run, or made by a plan-only step).',
    default: '',
  },
  'plan-only': {
    description: 'Only make and upload the plan; run nothing (true or false).',
    default: 'false',
  },
  'upload-logs': {
    description:
      "Upload each job's logs, result and artifacts as one artifact per run (always, failure, never).",
    default: 'always',
  },
  trust: {
    description:
      'What the jobs file may do - auto (trusted only on push, schedule, dispatch, release and same-repository pull request events; untrusted for forks, pull_request_target, issue_comment, workflow_run and the rest), trusted, or untrusted (VM jobs only, no build commands or nix on the runner, image files only from trusted-image-paths or the repository). See docs/security.md.',
    default: 'auto',
  },
  'trusted-image-paths': {
    description:
      'Host folders an untrusted run may boot prebuilt image files (kernel, initrd, disk) from; comma- or newline-separated absolute paths.',
    default: '',
  },
  'untrusted-network': {
    description:
      'Guest networking for untrusted runs - nat (as the jobs file says) or none (no network device in any guest).',
    default: 'nat',
  },
  'untrusted-secrets': {
    description:
      "Runner variables an untrusted run's jobs may still name under secrets (comma- or newline-separated names, e.g. NPM_READ_TOKEN); any other secrets entry refuses the untrusted run. Default: none - the pull request's code gets no secret.",
    default: '',
  },
  'check-runs': {
    description: 'One check run per job (auto - when the token can write checks; true; false).',
    default: 'auto',
  },
  'github-token': {
    description: 'Token for check runs (needs checks write).',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression the runner fills in
    default: '${{ github.token }}',
  },
  mode: {
    description:
      'run (plan and run jobs) or report (merge the results.json artifacts of a workflow run into one summary, annotations and check runs).',
    default: 'run',
  },
  shard: {
    description:
      'Run only shard i/n of the plan (e.g. 2/3): jobs are spread over n runners, each job with what it needs.',
    default: '',
  },
  durations: {
    description:
      'A results.json from an earlier run (or a JSON map of job id to milliseconds), to balance shards by recorded durations.',
    default: '',
  },
  'rerun-failed-from': {
    description:
      "A workflow run id - download its plan and results and run only the jobs that did not pass (and what they need). GitHub is asked what that run was first, and the rerun is no more trusted than it (a fork's run reruns untrusted).",
    default: '',
  },
  'results-from': {
    description:
      'With mode: report - the workflow run whose results to merge (default - this run; e.g. the run that triggered a workflow_run). Check runs go on the head commit GitHub names for that run.',
    default: '',
  },
} as const satisfies Record<string, InputDeclaration>;

/** Caps on what an untrusted run may ask for (src/plan/untrusted-limits.ts; docs/security.md). */
const UNTRUSTED_LIMIT_INPUTS = {
  'untrusted-max-jobs': {
    description: 'Most jobs an untrusted run may run; a plan with more is refused before anything runs.',
    default: '50',
  },
  'untrusted-max-memory': {
    description:
      'Most guest memory a job of an untrusted run may ask for (a size such as 8GiB; a plain number is MiB).',
    default: '8GiB',
  },
  'untrusted-max-cpus': {
    description: 'Most guest CPUs a job of an untrusted run may ask for.',
    default: '4',
  },
  'untrusted-max-timeout': {
    description:
      'Longest timeout-minutes a job of an untrusted run may ask for (such as 2h or 90m; a plain number is minutes).',
    default: '2h',
  },
} as const satisfies Record<string, InputDeclaration>;

/**
 * Every input of action.yml: the action's own, the caps on untrusted runs, then each executor option
 * (`vfkit-path`, `keep-failed-disks`, ...).
 */
export const INPUTS: Readonly<Record<string, InputDeclaration>> = {
  ...OWN_INPUTS,
  ...UNTRUSTED_LIMIT_INPUTS,
  ...Object.fromEntries(
    executorOptions().map((option) => [
      option.name,
      { description: option.description, default: option.type === 'boolean' ? 'false' : '' },
    ]),
  ),
};

/** Every output of action.yml, with its description. */
export const OUTPUTS = {
  'plan-id': "The plan's id (sha256 of its content).",
  'plan-path': 'Path of the plan.json on the runner.',
  'plan-artifact-id': 'Id of the uploaded plan artifact.',
  'plan-artifact-url': 'URL of the uploaded plan artifact.',
  'plan-artifact-name':
    'Name of the uploaded plan artifact (also its file name). Pass it to later jobs through job outputs: a re-run of failed jobs keeps the outputs of the planning job, so they still find its plan.',
  'run-id': 'The vmplan run id (empty with plan-only).',
  status: 'passed, failed or cancelled (planned with plan-only).',
  passed: 'Number of jobs that passed.',
  failed: 'Number of jobs that did not pass (failed, timed out, cancelled, skipped).',
  'durations-path':
    "mode report: a JSON map of job id to milliseconds for the jobs that passed, to give the next plan's `durations` (carry it with actions/cache) so shards are balanced by recorded time.",
  results: 'JSON: per job id, its status, duration (ms) and exit code.',
} as const;
/** An output's name. */
export type OutputName = keyof typeof OUTPUTS;

/** Sets an output (a name action.yml declares: a misspelt one does not compile). */
export function setOutput(name: OutputName, value: string): void {
  core.setOutput(name, value);
}

/** Names under which the main step leaves state for the post step (core.saveState → STATE_<name>). */
export const STATE = {
  stateDir: 'state-dir',
  runDir: 'run-dir',
  checksFile: 'checks-file',
} as const;
