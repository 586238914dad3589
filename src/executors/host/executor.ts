import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { reportGlobs } from '../../plan/schema.js';
import { secretNamesOf } from '../../plan/secrets.js';
import { JobCgroup } from '../../process/cgroup.js';
import { NODE_DIR_VARIABLE, processGroupLeftovers } from '../../process/ownership.js';
import { runProcessGroup } from '../../process/run-process.js';
import { collectJobOutputs } from '../../workspace/collect.js';
import { type HostWorkspace, hostWorkspace } from '../../workspace/host-workspace.js';
import { placeInputs } from '../../workspace/inputs.js';
import type { JobContext, JobExecutor, JobOutcome } from '../contract.js';
import type { ExecutorRuntime } from '../descriptor.js';
import { hostJobEnvironment, vmplanVariables } from '../job-env.js';
import { hostPhases } from '../phases.js';

/** The shell a job's script runs with, as GitHub runs `shell: bash` steps. */
export const HOST_SHELL = ['bash', '--noprofile', '--norc', '-eo', 'pipefail'] as const;

/**
 * Runs jobs directly on this machine, each in its own copy of the run's snapshot. No VM: fastest, and the
 * right choice for trusted work and for trying a jobs file out; isolation between jobs is only by folder.
 */
export class HostExecutor implements JobExecutor {
  readonly name = 'host' as const;

  constructor(private readonly inheritedEnv: NodeJS.ProcessEnv = process.env) {}

  /**
   * Runs the job's script as a process group, on Linux inside a cgroup of its own so that nothing it starts —
   * not even a daemon that left the group — outlives it. Where no cgroup can be made, the log says so.
   */
  private async runScript(context: JobContext, script: string, workdir: string, env: NodeJS.ProcessEnv) {
    const cgroup = JobCgroup.create();
    const inCgroup = cgroup instanceof JobCgroup ? cgroup : undefined;
    if (inCgroup === undefined) {
      await context.log.detail(
        `vmplan: no cgroup for this job (${(cgroup as { reason: string }).reason}); processes that leave its process group (setsid, daemons) are not tracked and can outlive it`,
      );
    }
    try {
      const result = await runProcessGroup(HOST_SHELL[0], [...HOST_SHELL.slice(1), script], {
        cwd: workdir,
        env,
        log: context.log,
        signal: context.signal,
        killGraceMs: context.killGraceMs,
        cgroup: inCgroup,
        onStart: (pgid) =>
          context.onProcess({ pid: pgid, group: true, restSocket: null, cgroup: inCgroup?.path ?? null }),
      });
      await noteLeftovers(context.log, result, cgroup);
      return result;
    } finally {
      if (inCgroup !== undefined && !(await inCgroup.remove())) {
        await context.log.note(`vmplan: the job's cgroup ${inCgroup.path} did not empty; it was left behind`);
      }
    }
  }

  async runJob(context: JobContext): Promise<JobOutcome> {
    const start = Date.now();
    const times: { command: { start: number; end: number } | null } = { command: null };
    const outcome = await this.runTimedJob(context, times);
    return { ...outcome, phases: hostPhases(start, times.command, Date.now()) };
  }

  /** Runs the job, setting when its command started and ended. */
  private async runTimedJob(
    context: JobContext,
    times: { command: { start: number; end: number } | null },
  ): Promise<JobOutcome> {
    const { node } = context;
    const place = await hostWorkspace(context.hostWorkspaces);
    let keep = true;
    try {
      const outcome = await this.runInWorkspace(context, place, times);
      // Keep the workspace of a failed job (to look into) or of a job asking for its changes; drop the rest.
      keep = !(outcome.status === 'passed' && !node.writableWorkspace && !context.signal.aborted);
      return outcome;
    } finally {
      await place.finish(keep);
    }
  }

  /** Runs the job in its workspace, once that is ready. */
  private async runInWorkspace(
    context: JobContext,
    place: HostWorkspace,
    times: { command: { start: number; end: number } | null },
  ): Promise<JobOutcome> {
    const { node, jobDir, log } = context;
    const workspace = place.path;
    const copy = await context.workspace.jobCopy(workspace);
    await log.note(
      `vmplan: workspace ready in ${copy.ms} ms (${copy.method === 'clone' ? 'copy-on-write clone' : 'copy'})${place.movedBecause === undefined ? '' : ` at ${workspace}, outside the repository (${place.movedBecause}; the job must not find it)`}`,
    );
    if (context.inputs.length > 0) {
      const placed = await placeInputs(context.inputs, workspace);
      await log.note(
        `vmplan: outputs of ${context.inputs.map((input) => input.from).join(', ')} in the workspace (read-only): ${placed.paths.join(', ')}`,
      );
    }

    const workdir = resolve(workspace, node.workingDirectory);
    if (!existsSync(workdir) || !statSync(workdir).isDirectory()) {
      return {
        status: 'failed',
        exitCode: null,
        message: `working-directory "${node.workingDirectory}" does not exist in the workspace`,
      };
    }
    const script = join(jobDir, 'run.sh');
    writeFileSync(script, `${node.command}\n`, { mode: 0o700 });
    // A secret another job names is not this job's to inherit: it gets only the ones it names.
    const env = hostJobEnvironment(
      this.inheritedEnv,
      node,
      context.secrets,
      { ...vmplanVariables(context.runId, node, workspace), [NODE_DIR_VARIABLE]: jobDir },
      secretNamesOf(context.plan),
    );

    const commandStart = Date.now();
    const result = await this.runScript(context, script, workdir, env);
    times.command = { start: commandStart, end: Date.now() };

    const passed = result.exitCode === 0 && !context.signal.aborted;
    const notes = await collectJobOutputs(
      { artifacts: workspace, reports: workspace, outputs: workspace },
      { artifacts: node.artifacts, reports: reportGlobs(node), outputs: passed ? (node.outputs ?? []) : [] },
      jobDir,
      context.runSecrets,
      context.limits,
    );
    if (notes.length > 0) await log.note(notes.join('\n'));
    return toOutcome(result);
  }
}

/** Says what was killed when the job ended, only as far as it is known (no cgroup: escapees are not seen). */
async function noteLeftovers(
  log: JobContext['log'],
  result: Awaited<ReturnType<typeof runProcessGroup>>,
  cgroup: JobCgroup | { reason: string },
): Promise<void> {
  const tracked = cgroup instanceof JobCgroup;
  if (result.leftovers > 0) {
    await log.note(
      `vmplan: killed ${result.leftovers} process(es) the job left running in its process group${tracked ? '' : ' (processes that left the group are not tracked on this host)'}`,
    );
  }
  if (result.escaped > 0) {
    await log.note(
      `vmplan: killed ${result.escaped} process(es) that left the job's process group (setsid, daemons)`,
    );
  }
}

function toOutcome(result: Awaited<ReturnType<typeof runProcessGroup>>): JobOutcome {
  if (result.spawnError !== undefined) {
    return { status: 'failed', exitCode: null, message: `could not start bash: ${result.spawnError}` };
  }
  if (result.exitCode === 0) return { status: 'passed', exitCode: 0, message: null };
  if (result.exitCode !== null)
    return { status: 'failed', exitCode: result.exitCode, message: `exited with code ${result.exitCode}` };
  return { status: 'failed', exitCode: null, message: `killed by ${result.signal}` };
}

/** The host executor's runtime (see ./descriptor.ts). */
export const runtime: ExecutorRuntime = {
  create: (settings) => new HostExecutor(settings.env),
  ...processGroupLeftovers,
};
