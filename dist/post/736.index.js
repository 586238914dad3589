export const id = 736;
export const ids = [736];
export const modules = {

/***/ 6736:
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
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./src/process/cgroup.ts
var process_cgroup = __webpack_require__(3537);
// EXTERNAL MODULE: ./src/process/ownership.ts
var ownership = __webpack_require__(2228);
// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __webpack_require__(1421);
// EXTERNAL MODULE: external "node:stream/promises"
var external_node_stream_promises_ = __webpack_require__(6466);
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
    const drained = Promise.all([(0,external_node_stream_promises_.finished)(stdout), (0,external_node_stream_promises_.finished)(stderr)]).then(() => true, () => true);
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

// EXTERNAL MODULE: ./src/workspace/collect.ts
var collect = __webpack_require__(8479);
// EXTERNAL MODULE: ./src/config/runner-variables.ts
var runner_variables = __webpack_require__(2282);
;// CONCATENATED MODULE: ./src/executors/job-env.ts

/**
 * The runner's environment without what no job or image build may inherit: the runner's credentials and
 * workflow files (see runner-variables.ts), vmplan's own variables and NODE_OPTIONS (which would change how a
 * job's node runs). Jobs get secrets only by naming them.
 */
function inheritableEnvironment(inherited) {
    const env = {};
    for (const [name, value] of Object.entries(inherited)) {
        if (value !== undefined && !(0,runner_variables/* isRunnerOnly */.D)(name) && !/^(VMPLAN_|NODE_OPTIONS$)/.test(name))
            env[name] = value;
    }
    return env;
}
/** Variables vmplan sets for every job. */
function vmplanVariables(runId, node, workspace) {
    return { VMPLAN: '1', VMPLAN_RUN_ID: runId, VMPLAN_JOB: node.job, VMPLAN_WORKSPACE: workspace, CI: 'true' };
}
/**
 * The environment of a job run on the host: the runner's environment minus credentials, then the job's
 * literal env, its named secrets and vmplan's variables (later ones win).
 */
function hostJobEnvironment(inherited, node, secrets, vmplan) {
    return { ...inheritableEnvironment(inherited), ...node.env, ...secrets, ...vmplan };
}

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
        const { node, jobDir, log } = context;
        const workspace = (0,external_node_path_.join)(jobDir, 'workspace');
        const copy = await context.workspace.jobCopy(workspace);
        await log.note(`vmplan: workspace ready in ${copy.ms} ms (${copy.method === 'clone' ? 'copy-on-write clone' : 'copy'})`);
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
        const env = hostJobEnvironment(this.inheritedEnv, node, context.secrets, {
            ...vmplanVariables(context.runId, node, workspace),
            [ownership/* NODE_DIR_VARIABLE */.gi]: jobDir,
        });
        const result = await this.runScript(context, script, workdir, env);
        const notes = await (0,collect/* collectJobOutputs */.W)({ artifacts: workspace, reports: workspace }, { artifacts: node.artifacts, reports: Object.values(node.reports).flat() }, jobDir, Object.values(context.secrets));
        if (notes.length > 0)
            await log.note(notes.join('\n'));
        const outcome = toOutcome(result);
        // Keep the workspace of a failed job (to look into) or of a job asking for its changes; drop the rest.
        if (outcome.status === 'passed' && !node.writableWorkspace && !context.signal.aborted) {
            await (0,promises_.rm)(workspace, { recursive: true, force: true });
        }
        return outcome;
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


/***/ }),

/***/ 684:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  B: () => (/* binding */ maskFileInPlace)
});

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:events"
var external_node_events_ = __webpack_require__(8474);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
;// CONCATENATED MODULE: ./src/util/mask.ts
/** What replaces a secret value in any text vmplan prints or writes. */
const MASK = '***';
/**
 * Replaces secret values in text. Multi-line secrets are also masked line by line, since output is
 * processed a line at a time.
 */
class Masker {
    values;
    constructor(secrets) {
        const values = new Set();
        for (const secret of secrets) {
            if (secret.trim() === '')
                continue;
            values.add(secret);
            for (const line of secret.split(/\r?\n/))
                if (line.trim() !== '')
                    values.add(line);
        }
        // Longest first, so a secret containing another is masked whole.
        this.values = [...values].sort((a, b) => b.length - a.length);
    }
    /** True when there is nothing to mask. */
    get empty() {
        return this.values.length === 0;
    }
    /** Length of the longest secret value (0 when there are none). */
    get longest() {
        return this.values[0]?.length ?? 0;
    }
    /**
     * Where to cut `text` near `at` without splitting a secret value: at `at`, or earlier, at the start of a value
     * that would straddle the cut. `text` must extend at least `longest` characters past `at`.
     */
    safeCut(text, at) {
        let cut = at;
        for (let moved = true; moved;) {
            moved = false;
            for (const value of this.values) {
                // Only an occurrence starting in the last value.length - 1 characters before the cut can straddle it.
                const from = Math.max(0, cut - value.length + 1);
                const found = text.slice(from, cut + value.length - 1).indexOf(value);
                if (found !== -1 && from + found < cut) {
                    cut = from + found;
                    moved = true;
                }
            }
        }
        // Only a secret longer than a whole piece could start at 0; cut where asked rather than loop forever.
        return cut > 0 ? cut : at;
    }
    /** The text with every secret value replaced by ***. */
    mask(text) {
        let result = text;
        for (const value of this.values)
            if (result.includes(value))
                result = result.split(value).join(MASK);
        return result;
    }
}

;// CONCATENATED MODULE: ./src/util/mask-file.ts




/**
 * Masks secret values in a file in place, whatever it holds: bytes are read as latin1 (one character per byte)
 * and the secrets' UTF-8 bytes are matched the same way, so every other byte comes back unchanged and binary files
 * survive. Streams in chunks, never cutting through a value. Only a regular file (never through a link) is
 * touched; the new content replaces the old with a rename. Returns true when something was masked.
 */
async function maskFileInPlace(path, secrets) {
    const masker = new Masker(secrets.map((secret) => Buffer.from(secret, 'utf8').toString('latin1')));
    if (masker.empty)
        return false;
    const info = (0,external_node_fs_.lstatSync)(path);
    if (!info.isFile())
        return false;
    // A name of our own beside it: the folder's other names may be a guest's choice.
    const temp = `${path}.${(0,external_node_crypto_.randomBytes)(6).toString('hex')}.vmplan-masking`;
    const out = (0,external_node_fs_.createWriteStream)(temp, { mode: info.mode & 0o777, flags: 'wx' });
    let carry = '';
    let changed = false;
    const emit = async (text) => {
        const masked = masker.mask(text);
        if (masked !== text)
            changed = true;
        if (!out.write(Buffer.from(masked, 'latin1')))
            await (0,external_node_events_.once)(out, 'drain');
    };
    try {
        for await (const chunk of (0,external_node_fs_.createReadStream)(path, { encoding: 'latin1', highWaterMark: 1 << 20 })) {
            const text = carry + chunk;
            const keep = masker.longest;
            if (text.length <= keep * 2) {
                carry = text;
                continue;
            }
            const cut = masker.safeCut(text, text.length - keep);
            await emit(text.slice(0, cut));
            carry = text.slice(cut);
        }
        await emit(carry);
        out.end();
        await (0,external_node_events_.once)(out, 'finish');
    }
    catch (error) {
        out.destroy();
        (0,external_node_fs_.rmSync)(temp, { force: true });
        throw error;
    }
    if (changed)
        (0,external_node_fs_.renameSync)(temp, path);
    else
        (0,external_node_fs_.rmSync)(temp, { force: true });
    return changed;
}


/***/ }),

/***/ 8479:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   W: () => (/* binding */ collectJobOutputs)
/* harmony export */ });
/* unused harmony export collectMatches */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var picomatch__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(4006);
/* harmony import */ var picomatch__WEBPACK_IMPORTED_MODULE_4___default = /*#__PURE__*/__webpack_require__.n(picomatch__WEBPACK_IMPORTED_MODULE_4__);
/* harmony import */ var _util_mask_file_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(684);





/** What an entry is, in words, when it is neither a regular file nor a folder. */
function specialKind(entry) {
    if (entry.isSymbolicLink())
        return 'a symbolic link';
    if (entry.isFIFO())
        return 'a named pipe';
    if (entry.isSocket())
        return 'a socket';
    return 'a device file';
}
/**
 * Copies the files and folders of `root` matching any of the globs into `destination`, keeping their relative
 * paths. A glob that names a folder brings the whole folder. The tree is the guest's (or a job's): no symlink is
 * followed at any component — not `root` itself, not a folder on the way to a match — and only regular files
 * and folders are copied; links, pipes, sockets and devices are skipped and listed. Copies are the runner's
 * files: permission bits only (never setuid, setgid or sticky), with the given secret values masked.
 */
async function collectMatches(root, globs, destination, secrets = []) {
    const result = { paths: [], unmatched: [], skipped: [] };
    const rootInfo = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.lstat)(root).catch(() => undefined);
    if (rootInfo === undefined || !rootInfo.isDirectory()) {
        if (rootInfo !== undefined)
            result.skipped.push({ path: '.', kind: specialKind(rootInfo) });
        result.unmatched.push(...globs);
        return result;
    }
    for (const glob of globs) {
        const pattern = glob.replace(/\/+$/, '');
        const matches = picomatch__WEBPACK_IMPORTED_MODULE_4___default()(pattern, { dot: true });
        const base = picomatch__WEBPACK_IMPORTED_MODULE_4___default().scan(pattern).base;
        const found = [];
        const foundPaths = [];
        // Only real folders are entered (readdir's types are lstat's), from the root down.
        const walk = async (relative) => {
            const entries = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readdir)(relative === '' ? root : (0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(root, relative), { withFileTypes: true });
            for (const entry of entries) {
                const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
                const onTheWay = base === '' || base === path || base.startsWith(`${path}/`) || path.startsWith(`${base}/`);
                if (!onTheWay)
                    continue;
                if (matches(path)) {
                    found.push(entry);
                    foundPaths.push(path);
                }
                else if (entry.isDirectory())
                    await walk(path);
            }
        };
        await walk('');
        if (found.length === 0)
            result.unmatched.push(glob);
        for (const [index, relative] of foundPaths.entries()) {
            if (result.paths.includes(relative) || result.skipped.some((entry) => entry.path === relative))
                continue;
            if (await copyEntry(root, relative, found[index], { destination, secrets }, result))
                result.paths.push(relative);
        }
    }
    return result;
}
/** Copies one matched entry (a folder: everything in it) as regular files and folders only; false if skipped. */
async function copyEntry(root, relative, entry, into, result) {
    const { destination } = into;
    if (entry.isDirectory()) {
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.mkdir)((0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(destination, relative), { recursive: true });
        for (const child of await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readdir)((0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(root, relative), { withFileTypes: true }))
            await copyEntry(root, `${relative}/${child.name}`, child, into, result);
        return true;
    }
    if (!entry.isFile()) {
        result.skipped.push({ path: relative, kind: specialKind(entry) });
        return false;
    }
    const from = (0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(root, relative);
    const to = (0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(destination, relative);
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.mkdir)((0,node_path__WEBPACK_IMPORTED_MODULE_2__.dirname)(to), { recursive: true });
    // Checked again right before the copy: the entry must still be a regular file, not a link put in its place.
    const info = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.lstat)(from);
    if (!info.isFile()) {
        result.skipped.push({ path: relative, kind: specialKind(info) });
        return false;
    }
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.copyFile)(from, to, node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.COPYFILE_FICLONE);
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.chmod)(to, info.mode & 0o777);
    // Reports feed annotations, check runs and results.json, and both are uploaded: no secret value stays in them.
    await (0,_util_mask_file_js__WEBPACK_IMPORTED_MODULE_3__/* .maskFileInPlace */ .B)(to, into.secrets);
    return true;
}
/**
 * Brings a job's declared outputs into its folder: what its `artifacts` globs match (under `roots.artifacts`)
 * into artifacts/, what its report globs match (under `roots.reports`) into reports/. Returns notes for the
 * log: patterns that matched nothing, and entries left behind (names quoted, so they stay on one line).
 */
async function collectJobOutputs(roots, globs, jobDir, secrets) {
    const notes = [];
    for (const [patterns, folder, what] of [
        [globs.artifacts, 'artifacts', 'artifact'],
        [globs.reports, 'reports', 'report'],
    ]) {
        if (patterns.length === 0)
            continue;
        const collected = await collectMatches(roots[folder], patterns, (0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(jobDir, folder), secrets);
        if (collected.unmatched.length > 0)
            notes.push(`vmplan: no ${what} matched ${collected.unmatched.map((glob) => JSON.stringify(glob)).join(', ')}`);
        for (const skipped of collected.skipped)
            notes.push(`vmplan: left ${JSON.stringify(skipped.path)} behind: it is ${skipped.kind}, and only regular files and folders are brought back`);
    }
    return notes;
}


/***/ })

};

//# sourceMappingURL=736.index.js.map