export const id = 27;
export const ids = [27];
export const modules = {

/***/ 4027:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  HOST_SHELL: () => (/* binding */ HOST_SHELL),
  HostExecutor: () => (/* binding */ HostExecutor),
  runtime: () => (/* binding */ runtime)
});

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./src/plan/schema.ts
var schema = __webpack_require__(7684);
;// CONCATENATED MODULE: ./src/plan/secrets.ts
/** Values of the secrets a plan names, as set in the environment (to make sure none leaks into plan.json). */
function secretValuesOf(plan, env) {
    return plan.preconditions.flatMap((p) => (p.kind === 'secret' && env[p.name] ? [env[p.name]] : []));
}
/** Names of the runner variables any job of the plan names under `secrets:` (withheld from everything else). */
function secretNamesOf(plan) {
    return new Set(plan.preconditions.flatMap((p) => (p.kind === 'secret' ? [p.name] : [])));
}

// EXTERNAL MODULE: ./src/process/cgroup.ts
var process_cgroup = __webpack_require__(3537);
// EXTERNAL MODULE: ./src/process/ownership.ts
var ownership = __webpack_require__(2228);
// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __webpack_require__(1421);
// EXTERNAL MODULE: external "node:stream/promises"
var promises_ = __webpack_require__(6466);
// EXTERNAL MODULE: external "node:timers/promises"
var external_node_timers_promises_ = __webpack_require__(8500);
// EXTERNAL MODULE: ./src/process/process-tree.ts
var process_tree = __webpack_require__(6841);
;// CONCATENATED MODULE: ./src/process/run-process.ts





/**
 * Runs a command as the leader of a new process group, streaming stdout and stderr into the log. When the
 * signal aborts, the whole group gets SIGTERM, then SIGKILL after the grace period. When the leader exits,
 * whatever it left running in its group is killed, so a job never outlives itself.
 */
async function runProcessGroup(command, args, options) {
    const [program, programArgs] = options.cgroup === undefined ? [command, args] : (0,process_cgroup/* commandInCgroup */.xy)(options.cgroup, command, args);
    const child = (0,external_node_child_process_.spawn)(program, programArgs, {
        cwd: options.cwd,
        env: options.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    const spawned = new Promise((resolve) => {
        child.once('spawn', () => resolve(undefined));
        child.once('error', (error) => resolve(error.message));
    });
    const exited = new Promise((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const stdout = child.stdout.pipe(options.log.input());
    const stderr = child.stderr.pipe(options.log.input());
    const spawnError = await spawned;
    if (spawnError !== undefined) {
        return { exitCode: null, signal: null, spawnError, stopped: undefined, leftovers: 0, escaped: 0 };
    }
    const pgid = child.pid;
    options.onStart?.(pgid);
    let stopping;
    const onAbort = () => {
        stopping ??= (0,process_tree/* stopProcessGroup */.VK)(pgid, options.killGraceMs());
    };
    if (options.signal.aborted)
        onAbort();
    else
        options.signal.addEventListener('abort', onAbort, { once: true });
    const exit = await exited;
    options.signal.removeEventListener('abort', onAbort);
    const stopped = stopping === undefined ? undefined : await stopping;
    const leftovers = await (0,process_tree/* killLeftovers */.BR)(pgid);
    const escaped = (await options.cgroup?.killAll()) ?? 0;
    // Output ends when every holder of the pipes is gone; something that escaped the group (setsid) may keep
    // them open, so don't wait forever.
    const drained = Promise.all([(0,promises_.finished)(stdout), (0,promises_.finished)(stderr)]).then(() => true, () => true);
    // The 2 s wait is cancelled once output ends, so nothing outlives the job (a pending timer keeps Node alive).
    const giveUp = new AbortController();
    const waited = (0,external_node_timers_promises_.setTimeout)(2_000, false, { signal: giveUp.signal }).catch(() => true);
    const complete = await Promise.race([drained, waited]);
    giveUp.abort();
    if (!complete) {
        child.stdout.destroy();
        child.stderr.destroy();
        await options.log.note('vmplan: output still open 2 s after the job ended (a process escaped the job); stopped reading it');
    }
    return { exitCode: exit.code, signal: exit.signal, spawnError: undefined, stopped, leftovers, escaped };
}

// EXTERNAL MODULE: ./src/workspace/collect.ts + 1 modules
var collect = __webpack_require__(3204);
// EXTERNAL MODULE: external "node:fs/promises"
var external_node_fs_promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: ./src/util/lease.ts
var lease = __webpack_require__(4390);
;// CONCATENATED MODULE: ./src/workspace/host-workspace.ts




/**
 * Files that make a folder a project to the tools a job runs: Node resolves `node_modules` of every folder above
 * a script, git finds the nearest `.git`, Python, Cargo, Go and others look upwards for their project files. A
 * host job's workspace must have none of them above it, or a job passes locally and fails in CI.
 */
const PROJECT_MARKERS = [
    '.git',
    'node_modules',
    'package.json',
    'pyproject.toml',
    'setup.py',
    'requirements.txt',
    'Pipfile',
    '.venv',
    'Cargo.toml',
    'go.mod',
    'go.work',
    'pom.xml',
    'build.gradle',
    'build.gradle.kts',
    'Gemfile',
    'composer.json',
    'deno.json',
    'tsconfig.json',
];
/** The nearest folder above `path` holding a project marker, and which, or undefined when there is none. */
function projectAbove(path, exists = external_node_fs_.existsSync) {
    for (let folder = (0,external_node_path_.dirname)(path);; folder = (0,external_node_path_.dirname)(folder)) {
        const marker = PROJECT_MARKERS.find((name) => exists((0,external_node_path_.join)(folder, name)));
        if (marker !== undefined)
            return { folder, marker };
        if ((0,external_node_path_.dirname)(folder) === folder)
            return undefined;
    }
}
/**
 * The workspace of a host job, from the candidates the state layout names (StateLayout.hostWorkspaceCandidates):
 * `<job folder>/workspace` when nothing above the job folder is a project, else under the cache folder (usually on
 * the same volume as the checkout, so the copy is still a clone), else under the system's temporary folder. The state folder is usually inside the user's checkout, whose `node_modules`, `.git`
 * and project files a job must not find. A kept workspace is moved back into the job's folder, so everything of a
 * run stays in its folder.
 */
async function hostWorkspace(candidates) {
    const inJobDir = candidates[0];
    const above = projectAbove(inJobDir);
    if (above === undefined) {
        return {
            path: inJobDir,
            movedBecause: undefined,
            finish: (keep) => (keep ? Promise.resolve() : (0,external_node_fs_promises_.rm)(inJobDir, { recursive: true, force: true })),
        };
    }
    const elsewhere = candidates.slice(1);
    const path = elsewhere.find((candidate) => projectAbove(candidate) === undefined) ?? elsewhere.at(-1);
    await (0,external_node_fs_promises_.rm)(path, { recursive: true, force: true });
    await (0,external_node_fs_promises_.mkdir)((0,external_node_path_.dirname)(path), { recursive: true, mode: 0o700 });
    // The run's folder there is in use until the run ends: gc of the cache folder leaves it alone.
    await (0,lease/* leaseFolder */.HF)((0,external_node_path_.dirname)(path));
    return {
        path,
        movedBecause: `${(0,external_node_path_.join)(above.folder, above.marker)} is above the job's folder`,
        async finish(keep) {
            if (keep)
                await moveInto(path, inJobDir);
            await (0,external_node_fs_promises_.rm)(path, { recursive: true, force: true });
            await (0,external_node_fs_promises_.rmdir)((0,external_node_path_.dirname)(path)).catch(() => undefined);
        },
    };
}
/** Moves a folder, copying when it is on another filesystem. */
async function moveInto(from, to) {
    await (0,external_node_fs_promises_.rm)(to, { recursive: true, force: true });
    try {
        await (0,external_node_fs_promises_.rename)(from, to);
    }
    catch (error) {
        if (error.code !== 'EXDEV')
            throw error;
        await (0,external_node_fs_promises_.cp)(from, to, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    }
}

// EXTERNAL MODULE: ./src/workspace/inputs.ts
var inputs = __webpack_require__(5608);
// EXTERNAL MODULE: ./src/config/runner-variables.ts
var runner_variables = __webpack_require__(2282);
;// CONCATENATED MODULE: ./src/executors/job-env.ts

/**
 * The runner's environment without what no job or image build may inherit: the runner's credentials and
 * workflow files (see runner-variables.ts), vmplan's own variables and NODE_OPTIONS (which would change how a
 * job's node runs), and the `withheld` names — the secrets the plan's jobs name (see secretNamesOf), which reach
 * a job only when it names them itself.
 */
function inheritableEnvironment(inherited, withheld = new Set()) {
    const env = {};
    for (const [name, value] of Object.entries(inherited)) {
        if (value !== undefined &&
            !(0,runner_variables/* isRunnerOnly */.D)(name) &&
            !withheld.has(name) &&
            !/^(VMPLAN_|NODE_OPTIONS$)/.test(name))
            env[name] = value;
    }
    return env;
}
/** Variables vmplan sets for every job. */
function vmplanVariables(runId, node, workspace) {
    return { VMPLAN: '1', VMPLAN_RUN_ID: runId, VMPLAN_JOB: node.job, VMPLAN_WORKSPACE: workspace, CI: 'true' };
}
/**
 * The environment of a job run on the host: the runner's environment minus credentials and minus every secret
 * another job of the plan names (`planSecrets`), then the job's literal env, its own named secrets and vmplan's
 * variables (later ones win).
 */
function hostJobEnvironment(inherited, node, secrets, vmplan, planSecrets = new Set()) {
    return { ...inheritableEnvironment(inherited, planSecrets), ...node.env, ...secrets, ...vmplan };
}

// EXTERNAL MODULE: ./src/executors/phases.ts
var phases = __webpack_require__(4688);
;// CONCATENATED MODULE: ./src/executors/host/executor.ts












/** The shell a job's script runs with, as GitHub runs `shell: bash` steps. */
const HOST_SHELL = ['bash', '--noprofile', '--norc', '-eo', 'pipefail'];
/**
 * Runs jobs directly on this machine, each in its own copy of the run's snapshot. No VM: fastest, and the
 * right choice for trusted work and for trying a jobs file out; isolation between jobs is only by folder.
 */
class HostExecutor {
    inheritedEnv;
    name = 'host';
    constructor(inheritedEnv = process.env) {
        this.inheritedEnv = inheritedEnv;
    }
    /**
     * Runs the job's script as a process group, on Linux inside a cgroup of its own so that nothing it starts —
     * not even a daemon that left the group — outlives it. Where no cgroup can be made, the log says so.
     */
    async runScript(context, script, workdir, env) {
        const cgroup = process_cgroup/* JobCgroup */.gj.create();
        const inCgroup = cgroup instanceof process_cgroup/* JobCgroup */.gj ? cgroup : undefined;
        if (inCgroup === undefined) {
            await context.log.detail(`vmplan: no cgroup for this job (${cgroup.reason}); processes that leave its process group (setsid, daemons) are not tracked and can outlive it`);
        }
        try {
            const result = await runProcessGroup(HOST_SHELL[0], [...HOST_SHELL.slice(1), script], {
                cwd: workdir,
                env,
                log: context.log,
                signal: context.signal,
                killGraceMs: context.killGraceMs,
                cgroup: inCgroup,
                onStart: (pgid) => context.onProcess({ pid: pgid, group: true, restSocket: null, cgroup: inCgroup?.path ?? null }),
            });
            await noteLeftovers(context.log, result, cgroup);
            return result;
        }
        finally {
            if (inCgroup !== undefined && !(await inCgroup.remove())) {
                await context.log.note(`vmplan: the job's cgroup ${inCgroup.path} did not empty; it was left behind`);
            }
        }
    }
    async runJob(context) {
        const start = Date.now();
        const times = { command: null };
        const outcome = await this.runTimedJob(context, times);
        return { ...outcome, phases: (0,phases/* hostPhases */.h)(start, times.command, Date.now()) };
    }
    /** Runs the job, setting when its command started and ended. */
    async runTimedJob(context, times) {
        const { node } = context;
        const place = await hostWorkspace(context.hostWorkspaces);
        let keep = true;
        try {
            const outcome = await this.runInWorkspace(context, place, times);
            // Keep the workspace of a failed job (to look into) or of a job asking for its changes; drop the rest.
            keep = !(outcome.status === 'passed' && !node.writableWorkspace && !context.signal.aborted);
            return outcome;
        }
        finally {
            await place.finish(keep);
        }
    }
    /** Runs the job in its workspace, once that is ready. */
    async runInWorkspace(context, place, times) {
        const { node, jobDir, log } = context;
        const workspace = place.path;
        const copy = await context.workspace.jobCopy(workspace);
        await log.note(`vmplan: workspace ready in ${copy.ms} ms (${copy.method === 'clone' ? 'copy-on-write clone' : 'copy'})${place.movedBecause === undefined ? '' : ` at ${workspace}, outside the repository (${place.movedBecause}; the job must not find it)`}`);
        if (context.inputs.length > 0) {
            const placed = await (0,inputs/* placeInputs */.v)(context.inputs, workspace);
            await log.note(`vmplan: outputs of ${context.inputs.map((input) => input.from).join(', ')} in the workspace (read-only): ${placed.paths.join(', ')}`);
        }
        const workdir = (0,external_node_path_.resolve)(workspace, node.workingDirectory);
        if (!(0,external_node_fs_.existsSync)(workdir) || !(0,external_node_fs_.statSync)(workdir).isDirectory()) {
            return {
                status: 'failed',
                exitCode: null,
                message: `working-directory "${node.workingDirectory}" does not exist in the workspace`,
            };
        }
        const script = (0,external_node_path_.join)(jobDir, 'run.sh');
        (0,external_node_fs_.writeFileSync)(script, `${node.command}\n`, { mode: 0o700 });
        // A secret another job names is not this job's to inherit: it gets only the ones it names.
        const env = hostJobEnvironment(this.inheritedEnv, node, context.secrets, { ...vmplanVariables(context.runId, node, workspace), [ownership/* NODE_DIR_VARIABLE */.gi]: jobDir }, secretNamesOf(context.plan));
        const commandStart = Date.now();
        const result = await this.runScript(context, script, workdir, env);
        times.command = { start: commandStart, end: Date.now() };
        const passed = result.exitCode === 0 && !context.signal.aborted;
        const notes = await (0,collect/* collectJobOutputs */.Wr)({ artifacts: workspace, reports: workspace, outputs: workspace }, { artifacts: node.artifacts, reports: (0,schema/* reportGlobs */.i9)(node), outputs: passed ? (node.outputs ?? []) : [] }, jobDir, context.runSecrets, context.limits);
        if (notes.length > 0)
            await log.note(notes.join('\n'));
        return toOutcome(result);
    }
}
/** Says what was killed when the job ended, only as far as it is known (no cgroup: escapees are not seen). */
async function noteLeftovers(log, result, cgroup) {
    const tracked = cgroup instanceof process_cgroup/* JobCgroup */.gj;
    if (result.leftovers > 0) {
        await log.note(`vmplan: killed ${result.leftovers} process(es) the job left running in its process group${tracked ? '' : ' (processes that left the group are not tracked on this host)'}`);
    }
    if (result.escaped > 0) {
        await log.note(`vmplan: killed ${result.escaped} process(es) that left the job's process group (setsid, daemons)`);
    }
}
function toOutcome(result) {
    if (result.spawnError !== undefined) {
        return { status: 'failed', exitCode: null, message: `could not start bash: ${result.spawnError}` };
    }
    if (result.exitCode === 0)
        return { status: 'passed', exitCode: 0, message: null };
    if (result.exitCode !== null)
        return { status: 'failed', exitCode: result.exitCode, message: `exited with code ${result.exitCode}` };
    return { status: 'failed', exitCode: null, message: `killed by ${result.signal}` };
}
/** The host executor's runtime (see ./descriptor.ts). */
const runtime = {
    create: (settings) => new HostExecutor(settings.env),
    ...ownership/* processGroupLeftovers */.FV,
};


/***/ })

};

//# sourceMappingURL=27.index.js.map