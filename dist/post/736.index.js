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
    const child = (0,external_node_child_process_.spawn)(command, args, {
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
        return { exitCode: null, signal: null, spawnError, stopped: undefined, leftovers: 0 };
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
    // Output ends when every holder of the pipes is gone; something that escaped the group (setsid) may keep
    // them open, so don't wait forever.
    const drained = Promise.all([(0,external_node_stream_promises_.finished)(stdout), (0,external_node_stream_promises_.finished)(stderr)]).then(() => true, () => true);
    if (!(await Promise.race([drained, (0,external_node_timers_promises_.setTimeout)(2_000).then(() => false)]))) {
        child.stdout.destroy();
        child.stderr.destroy();
        await options.log.note('vmplan: output still open 2 s after the job ended (a process escaped the job); stopped reading it');
    }
    return { exitCode: exit.code, signal: exit.signal, spawnError: undefined, stopped, leftovers };
}

// EXTERNAL MODULE: ./src/workspace/collect.ts
var collect = __webpack_require__(8479);
;// CONCATENATED MODULE: ./src/executors/job-env.ts
/**
 * Runner variables a job must never inherit: credentials of the runner and of the action itself
 * (`INPUT_*` includes the github-token input). Jobs get secrets only by naming them.
 */
const NEVER_INHERITED = [/^INPUT_/, /^STATE_/, /^ACTIONS_/, /^GITHUB_TOKEN$/, /^VMPLAN_/, /^NODE_OPTIONS$/];
/** Variables vmplan sets for every job. */
function vmplanVariables(runId, node, workspace) {
    return { VMPLAN: '1', VMPLAN_RUN_ID: runId, VMPLAN_JOB: node.job, VMPLAN_WORKSPACE: workspace, CI: 'true' };
}
/**
 * The environment of a job run on the host: the runner's environment minus credentials, then the job's
 * literal env, its named secrets and vmplan's variables (later ones win).
 */
function hostJobEnvironment(inherited, node, secrets, vmplan) {
    const env = {};
    for (const [name, value] of Object.entries(inherited)) {
        if (value !== undefined && !NEVER_INHERITED.some((pattern) => pattern.test(name)))
            env[name] = value;
    }
    return { ...env, ...node.env, ...secrets, ...vmplan };
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
        const result = await runProcessGroup(HOST_SHELL[0], [...HOST_SHELL.slice(1), script], {
            cwd: workdir,
            env,
            log,
            signal: context.signal,
            killGraceMs: context.killGraceMs,
            onStart: (pgid) => context.onProcess({ pid: pgid, group: true, restSocket: null }),
        });
        if (result.leftovers > 0) {
            await log.note(`vmplan: killed ${result.leftovers} process(es) the job left running in the background`);
        }
        const notes = await (0,collect/* collectJobOutputs */.W)({ artifacts: workspace, reports: workspace }, { artifacts: node.artifacts, reports: Object.values(node.reports).flat() }, jobDir);
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

/***/ 8479:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   W: () => (/* binding */ collectJobOutputs)
/* harmony export */ });
/* unused harmony export collectMatches */
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var picomatch__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(4006);
/* harmony import */ var picomatch__WEBPACK_IMPORTED_MODULE_3___default = /*#__PURE__*/__webpack_require__.n(picomatch__WEBPACK_IMPORTED_MODULE_3__);
/* harmony import */ var _copy_tree_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(7919);




/**
 * Copies the files and folders of `root` matching any of the globs into `destination`, keeping their
 * relative paths. A glob that names a folder brings the whole folder. Symlinks are copied as symlinks,
 * never followed, so nothing outside `root` can be brought back through them.
 */
async function collectMatches(root, globs, destination) {
    const result = { paths: [], unmatched: [] };
    for (const glob of globs) {
        const pattern = glob.replace(/\/+$/, '');
        const matches = picomatch__WEBPACK_IMPORTED_MODULE_3___default()(pattern, { dot: true });
        const base = picomatch__WEBPACK_IMPORTED_MODULE_3___default().scan(pattern).base;
        const found = [];
        const walk = async (relative) => {
            let info;
            try {
                info = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.lstat)((0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(root, relative));
            }
            catch {
                return;
            }
            if (relative !== '' && matches(relative)) {
                found.push(relative);
                return;
            }
            if (!info.isDirectory())
                return;
            for (const name of await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readdir)((0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(root, relative)))
                await walk(relative === '' ? name : `${relative}/${name}`);
        };
        await walk(base);
        if (found.length === 0)
            result.unmatched.push(glob);
        for (const relative of found) {
            if (result.paths.includes(relative))
                continue;
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.mkdir)((0,node_path__WEBPACK_IMPORTED_MODULE_1__.dirname)((0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(destination, relative)), { recursive: true });
            await (0,_copy_tree_js__WEBPACK_IMPORTED_MODULE_2__/* .copyTree */ .E)((0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(root, relative), (0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(destination, relative));
            result.paths.push(relative);
        }
    }
    return result;
}
/**
 * Brings a job's declared outputs into its folder: what its `artifacts` globs match (under `roots.artifacts`)
 * into artifacts/, what its JUnit globs match (under `roots.reports`) into reports/. Returns a note per pattern
 * that matched nothing.
 */
async function collectJobOutputs(roots, globs, jobDir) {
    const notes = [];
    for (const [patterns, folder, what] of [
        [globs.artifacts, 'artifacts', 'artifact'],
        [globs.reports, 'reports', 'report'],
    ]) {
        if (patterns.length === 0)
            continue;
        const collected = await collectMatches(roots[folder], patterns, (0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(jobDir, folder));
        if (collected.unmatched.length > 0)
            notes.push(`vmplan: no ${what} matched ${collected.unmatched.join(', ')}`);
    }
    return notes;
}


/***/ }),

/***/ 7919:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  E: () => (/* binding */ copyTree),
  U: () => (/* binding */ hasGnuCp)
});

// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __webpack_require__(1421);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: external "node:util"
var external_node_util_ = __webpack_require__(7975);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
;// CONCATENATED MODULE: ./src/util/limit.ts
/** Runs async tasks with at most `concurrency` in flight (a counting semaphore). */
function createLimiter(concurrency) {
    let active = 0;
    const waiting = [];
    return async (task) => {
        if (active >= concurrency)
            await new Promise((resolve) => waiting.push(resolve));
        active++;
        try {
            return await task();
        }
        finally {
            active--;
            waiting.shift()?.();
        }
    };
}

;// CONCATENATED MODULE: ./src/workspace/copy-tree.ts







const execFileAsync = (0,external_node_util_.promisify)(external_node_child_process_.execFile);
const CLONE_UNSUPPORTED = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ENOTTY']);
/** Arguments per cp call, well below any ARG_MAX. */
const CP_BATCH = 500;
let gnuCpAvailable;
/** True when `cp` is GNU coreutils (Linux): it copies whole subtrees with reflinks and kept times fastest. */
function hasGnuCp() {
    gnuCpAvailable ??= /GNU coreutils/.test((0,external_node_child_process_.spawnSync)('cp', ['--version'], { encoding: 'utf8' }).stdout ?? '');
    return gnuCpAvailable;
}
/**
 * Copies a folder tree: regular files are cloned copy-on-write where the filesystem can (APFS clonefile on
 * macOS, reflink on btrfs/xfs), else copied; symlinks stay symlinks (never followed); modes and modification
 * times are kept (make and cargo rely on them). The tree is scanned first, so sockets, pipes and devices are
 * refused with a clear error before anything is copied. Where files clone and GNU cp exists, subtrees with
 * nothing excluded go to one cp call each; otherwise Node copies file by file, several at a time.
 */
async function copyTree(source, target, options = {}) {
    const started = performance.now();
    const stats = {
        files: 0,
        directories: 0,
        symlinks: 0,
        excluded: 0,
        method: 'copy',
        engine: 'node',
        ms: 0,
    };
    const signal = options.signal ?? new AbortController().signal;
    const root = await scan(source, options.exclude, stats, signal);
    // Measured (bench/snapshot.ts): where files clone, one GNU cp per clean subtree is fastest; where they must be
    // copied byte by byte, Node's parallel per-file copies beat a single cp process.
    const clones = options.forceCopy !== true && (await probeClone(source, root, target));
    const engine = options.engine ?? (clones && hasGnuCp() ? 'gnu-cp' : 'node');
    stats.engine = engine;
    if (engine === 'gnu-cp') {
        stats.method = clones ? 'clone' : 'copy';
        await copyWithGnuCp(source, target, root, signal);
    }
    else {
        stats.method = await copyWithNode(source, target, root, options.forceCopy === true || !clones, signal);
    }
    stats.ms = Math.round(performance.now() - started);
    return stats;
}
/** Reads the whole tree (names and types only), applying excludes and refusing special files. */
async function scan(source, exclude, stats, signal) {
    const info = await (0,promises_.lstat)(source);
    if (!info.isDirectory()) {
        stats.files++;
        return { relative: '', files: [], folders: [], whole: true };
    }
    const visit = async (relative) => {
        signal.throwIfAborted();
        const entries = await (0,promises_.readdir)(relative === '' ? source : (0,external_node_path_.join)(source, relative), {
            withFileTypes: true,
        });
        const folder = { relative, files: [], folders: [], whole: true };
        stats.directories++;
        const children = [];
        for (const entry of entries) {
            const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
            if (exclude?.(path, entry.isDirectory()) === true) {
                stats.excluded++;
                folder.whole = false;
            }
            else if (entry.isDirectory()) {
                children.push(visit(path));
            }
            else if (entry.isFile() || entry.isSymbolicLink()) {
                folder.files.push(entry.name);
                if (entry.isFile())
                    stats.files++;
                else
                    stats.symlinks++;
            }
            else {
                const kind = entry.isSocket() ? 'a socket' : entry.isFIFO() ? 'a named pipe' : 'a device file';
                throw new errors/* InputError */.dz(`workspace snapshot: ${path} is ${kind}; only files, folders and symlinks can be copied into a job's workspace. ` +
                    'Exclude it (workspace.exclude in the jobs file) or remove it.');
            }
        }
        folder.folders = await Promise.all(children);
        if (folder.folders.some((child) => !child.whole))
            folder.whole = false;
        return folder;
    };
    return visit('');
}
/** Tries one copy-on-write clone, so the stats can say which path the copy took. */
async function probeClone(source, root, target) {
    const sample = firstFile(root);
    if (sample === undefined)
        return false;
    const probe = `${target}.clone-probe-${process.pid}`;
    try {
        await (0,promises_.copyFile)((0,external_node_path_.join)(source, sample), probe, external_node_fs_.constants.COPYFILE_FICLONE_FORCE);
        return true;
    }
    catch {
        return false;
    }
    finally {
        await (0,promises_.rm)(probe, { force: true });
    }
}
function firstFile(folder) {
    if (folder.files[0] !== undefined) {
        return folder.relative === '' ? folder.files[0] : `${folder.relative}/${folder.files[0]}`;
    }
    for (const child of folder.folders) {
        const found = firstFile(child);
        if (found !== undefined)
            return found;
    }
    return undefined;
}
const GNU_CP_FLAGS = ['-R', '-P', '--preserve=mode,timestamps', '--reflink=auto'];
async function copyWithGnuCp(source, target, root, signal) {
    if (root.whole) {
        const info = await (0,promises_.lstat)(source);
        if (!info.isDirectory()) {
            await execFileAsync('cp', [...GNU_CP_FLAGS, '--', source, target], { signal });
            return;
        }
        await (0,promises_.mkdir)(target, { recursive: true });
        await execFileAsync('cp', [...GNU_CP_FLAGS, '--', `${source}/.`, target], { signal });
        return;
    }
    const madeFolders = [];
    const visit = async (folder) => {
        const from = folder.relative === '' ? source : (0,external_node_path_.join)(source, folder.relative);
        const to = folder.relative === '' ? target : (0,external_node_path_.join)(target, folder.relative);
        const info = await (0,promises_.lstat)(from);
        await (0,promises_.mkdir)(to, { recursive: folder.relative === '', mode: info.mode & 0o7777 });
        madeFolders.push({ path: to, from });
        const whole = [
            ...folder.files,
            ...folder.folders.filter((child) => child.whole).map((child) => baseName(child.relative)),
        ];
        for (let start = 0; start < whole.length; start += CP_BATCH) {
            const batch = whole.slice(start, start + CP_BATCH).map((name) => (0,external_node_path_.join)(from, name));
            await execFileAsync('cp', [...GNU_CP_FLAGS, '-t', to, '--', ...batch], {
                maxBuffer: 16 * 1024 * 1024,
                signal,
            });
        }
        for (const child of folder.folders)
            if (!child.whole)
                await visit(child);
    };
    await visit(root);
    // Times of the folders created here, last: adding their entries changed them.
    for (const folder of madeFolders.reverse()) {
        const info = await (0,promises_.lstat)(folder.from);
        await (0,promises_.utimes)(folder.path, info.atime, info.mtime);
    }
}
async function copyWithNode(source, target, root, forceCopy, signal) {
    let cloneWorks = forceCopy ? false : undefined;
    const limit = createLimiter(32);
    const folderTimes = [];
    const copyOne = async (relative) => {
        signal.throwIfAborted();
        const from = relative === '' ? source : (0,external_node_path_.join)(source, relative);
        const to = relative === '' ? target : (0,external_node_path_.join)(target, relative);
        const info = await (0,promises_.lstat)(from);
        if (info.isSymbolicLink()) {
            await (0,promises_.symlink)(await (0,promises_.readlink)(from), to);
            await (0,promises_.lutimes)(to, info.atime, info.mtime).catch(() => undefined);
            return;
        }
        if (cloneWorks !== false) {
            try {
                await (0,promises_.copyFile)(from, to, external_node_fs_.constants.COPYFILE_FICLONE_FORCE);
                cloneWorks = true;
            }
            catch (error) {
                if (!CLONE_UNSUPPORTED.has(error.code ?? ''))
                    throw error;
                cloneWorks = false;
                await (0,promises_.copyFile)(from, to);
            }
        }
        else {
            await (0,promises_.copyFile)(from, to);
        }
        await (0,promises_.utimes)(to, info.atime, info.mtime);
    };
    const visit = async (folder) => {
        const from = folder.relative === '' ? source : (0,external_node_path_.join)(source, folder.relative);
        const to = folder.relative === '' ? target : (0,external_node_path_.join)(target, folder.relative);
        const info = await (0,promises_.lstat)(from);
        await (0,promises_.mkdir)(to, { recursive: folder.relative === '', mode: info.mode & 0o7777 });
        folderTimes.push({ path: to, atime: info.atime, mtime: info.mtime });
        const prefix = folder.relative === '' ? '' : `${folder.relative}/`;
        await Promise.all([
            ...folder.files.map((name) => limit(() => copyOne(`${prefix}${name}`))),
            // Folders are walked outside the limiter so they never hold a slot while waiting on their children.
            ...folder.folders.map(visit),
        ]);
    };
    const info = await (0,promises_.lstat)(source);
    if (!info.isDirectory())
        await copyOne('');
    else
        await visit(root);
    for (const folder of folderTimes.reverse())
        await (0,promises_.utimes)(folder.path, folder.atime, folder.mtime);
    return cloneWorks === true ? 'clone' : 'copy';
}
function baseName(relative) {
    return relative.slice(relative.lastIndexOf('/') + 1);
}


/***/ })

};

//# sourceMappingURL=736.index.js.map