export const id = 895;
export const ids = [895];
export const modules = {

/***/ 586:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  q: () => (/* binding */ runVmJob)
});

// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __webpack_require__(1421);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./src/plan/limits.ts
var limits = __webpack_require__(8079);
// EXTERNAL MODULE: ./src/plan/schema.ts
var schema = __webpack_require__(7684);
// EXTERNAL MODULE: ./src/util/bytes.ts
var util_bytes = __webpack_require__(1671);
// EXTERNAL MODULE: ./src/util/lease.ts
var lease = __webpack_require__(4390);
// EXTERNAL MODULE: ./src/util/mask-file.ts
var mask_file = __webpack_require__(7969);
// EXTERNAL MODULE: ./src/util/mask.ts
var mask = __webpack_require__(6934);
;// CONCATENATED MODULE: ./src/util/mask-tree.ts



const SLASH = Buffer.from('/');
/**
 * Masks secret values in every regular file under `folder` (bytes as bytes, see maskFileInPlace) and in the names
 * of its entries. Nothing is followed: links, pipes and devices are left as they are (the caller has swept them),
 * and folders are entered only as what lstat says they are. Names are bytes too (a guest's need not be UTF-8: read
 * as text, such a name would name no entry, and the walk would stop with secrets left). Returns how many files or
 * names were masked.
 */
async function maskTreeInPlace(folder, secrets) {
    // One character per byte, as maskFileInPlace reads contents: the secrets' UTF-8 bytes match in any name.
    const masker = new mask/* Masker */.G(secrets.map((secret) => Buffer.from(secret, 'utf8').toString('latin1')));
    if (masker.empty || !(0,external_node_fs_.lstatSync)(folder, { throwIfNoEntry: false })?.isDirectory())
        return 0;
    let masked = 0;
    const walk = async (dir) => {
        for (const entry of (0,external_node_fs_.readdirSync)(dir, { withFileTypes: true, encoding: 'buffer' })) {
            let path = Buffer.concat([dir, SLASH, entry.name]);
            const name = masker.mask(entry.name.toString('latin1'));
            if (name !== entry.name.toString('latin1')) {
                const renamed = freeName(dir, Buffer.from(name, 'latin1'));
                (0,external_node_fs_.renameSync)(path, renamed);
                path = renamed;
                masked++;
            }
            if (entry.isDirectory())
                await walk(path);
            else if (entry.isFile() && (await (0,mask_file/* maskFileInPlace */.B)(path, secrets)))
                masked++;
        }
    };
    await walk(Buffer.from(folder));
    return masked;
}
/** `name` in `dir`, or `name.2`, `name.3`, ... when that is taken (two names may mask alike). */
function freeName(dir, name) {
    const at = (suffix) => Buffer.concat([dir, SLASH, name, Buffer.from(suffix)]);
    let candidate = at('');
    for (let n = 2; (0,external_node_fs_.lstatSync)(candidate, { throwIfNoEntry: false }) !== undefined; n++)
        candidate = at(`.${n}`);
    return candidate;
}

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:buffer"
var external_node_buffer_ = __webpack_require__(4573);
// EXTERNAL MODULE: external "node:util"
var external_node_util_ = __webpack_require__(7975);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
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
    // Cancelled while the tree was read: nothing is copied. (A cp started with an aborted signal is killed a tick
    // later, which on a busy machine can be after it copied a small tree.)
    signal.throwIfAborted();
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
    const info = await lstat(source);
    if (!info.isDirectory()) {
        stats.files++;
        return { relative: '', files: [], folders: [], whole: true };
    }
    const visit = async (relative) => {
        signal.throwIfAborted();
        const entries = await readdir(join(source, relative), {
            withFileTypes: true,
            encoding: 'buffer',
        });
        const folder = { relative, files: [], folders: [], whole: true };
        stats.directories++;
        const children = [];
        for (const entry of entries) {
            const name = entry.name.toString('utf8');
            const path = relative === '' ? name : `${relative}/${name}`;
            if (exclude?.(path, entry.isDirectory()) === true) {
                stats.excluded++;
                folder.whole = false;
            }
            else if (!isUtf8(entry.name)) {
                // As text the name would name no file: refused clearly rather than failing the copy half-way.
                throw new InputError(`workspace snapshot: ${JSON.stringify(path)} has a name that is not UTF-8, which vmplan cannot copy into a job's workspace. ` +
                    'Rename it, or exclude it (workspace.exclude in the jobs file).');
            }
            else if (entry.isDirectory()) {
                children.push(visit(path));
            }
            else if (entry.isFile() || entry.isSymbolicLink()) {
                folder.files.push(name);
                if (entry.isFile())
                    stats.files++;
                else
                    stats.symlinks++;
            }
            else {
                const kind = entry.isSocket() ? 'a socket' : entry.isFIFO() ? 'a named pipe' : 'a device file';
                throw new InputError(`workspace snapshot: ${path} is ${kind}; only files, folders and symlinks can be copied into a job's workspace. ` +
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
        await copyFile(join(source, sample), probe, constants.COPYFILE_FICLONE_FORCE);
        return true;
    }
    catch {
        return false;
    }
    finally {
        await rm(probe, { force: true });
    }
}
function firstFile(folder) {
    if (folder.files[0] !== undefined)
        return join(folder.relative, folder.files[0]);
    for (const child of folder.folders) {
        const found = firstFile(child);
        if (found !== undefined)
            return found;
    }
    return undefined;
}
const GNU_CP_FLAGS = (/* unused pure expression or super */ null && (['-R', '-P', '--preserve=mode,timestamps', '--reflink=auto']));
/**
 * The mode a folder is made with (and missing folders above the target); it gets its own once filled: mkdir's mode
 * passes through the umask (a group-writable folder would lose its g+w), and a folder without its owner's write
 * bit could not be filled.
 */
const WRITABLE_WHILE_FILLED = 0o700;
async function copyWithGnuCp(source, target, root, signal) {
    if (root.whole) {
        const info = await lstat(source);
        if (!info.isDirectory()) {
            await execFileAsync('cp', [...GNU_CP_FLAGS, '--', source, target], { signal });
            return;
        }
        await mkdir(target, { recursive: true });
        signal.throwIfAborted();
        await execFileAsync('cp', [...GNU_CP_FLAGS, '--', `${source}/.`, target], { signal });
        return;
    }
    const madeFolders = [];
    const visit = async (folder) => {
        const from = join(source, folder.relative);
        const to = join(target, folder.relative);
        await mkdir(to, { recursive: folder.relative === '', mode: WRITABLE_WHILE_FILLED });
        madeFolders.push({ path: to, from });
        const whole = [
            ...folder.files,
            ...folder.folders.filter((child) => child.whole).map((child) => baseName(child.relative)),
        ];
        for (let start = 0; start < whole.length; start += CP_BATCH) {
            const batch = whole.slice(start, start + CP_BATCH).map((name) => join(from, name));
            signal.throwIfAborted();
            await execFileAsync('cp', [...GNU_CP_FLAGS, '-t', to, '--', ...batch], { signal });
        }
        for (const child of folder.folders)
            if (!child.whole)
                await visit(child);
    };
    await visit(root);
    // Modes and times of the folders created here, last: adding their entries changed the times, and a folder
    // without its owner's write bit could not have been filled.
    for (const folder of madeFolders) {
        const info = await lstat(folder.from);
        await chmod(folder.path, info.mode & 0o7777);
        await utimes(folder.path, info.atime, info.mtime);
    }
}
async function copyWithNode(source, target, root, forceCopy, signal) {
    let cloneWorks = forceCopy ? false : undefined;
    const limit = createLimiter(32);
    const madeFolders = [];
    const copyOne = async (relative) => {
        signal.throwIfAborted();
        const from = join(source, relative);
        const to = join(target, relative);
        const info = await lstat(from);
        if (info.isSymbolicLink()) {
            await symlink(await readlink(from), to);
            await lutimes(to, info.atime, info.mtime).catch(() => undefined);
            return;
        }
        if (cloneWorks !== false) {
            try {
                await copyFile(from, to, constants.COPYFILE_FICLONE_FORCE);
                cloneWorks = true;
            }
            catch (error) {
                if (!CLONE_UNSUPPORTED.has(error.code ?? ''))
                    throw error;
                cloneWorks = false;
                await copyFile(from, to);
            }
        }
        else {
            await copyFile(from, to);
        }
        await utimes(to, info.atime, info.mtime);
    };
    const visit = async (folder) => {
        const from = join(source, folder.relative);
        const to = join(target, folder.relative);
        const info = await lstat(from);
        await mkdir(to, { recursive: folder.relative === '', mode: WRITABLE_WHILE_FILLED });
        madeFolders.push({ path: to, mode: info.mode & 0o7777, atime: info.atime, mtime: info.mtime });
        await Promise.all([
            ...folder.files.map((name) => limit(() => copyOne(join(folder.relative, name)))),
            // Folders are walked outside the limiter so they never hold a slot while waiting on their children.
            ...folder.folders.map(visit),
        ]);
    };
    const info = await lstat(source);
    if (!info.isDirectory())
        await copyOne('');
    else
        await visit(root);
    // As with GNU cp: modes and times last (see copyWithGnuCp).
    for (const folder of madeFolders) {
        await chmod(folder.path, folder.mode);
        await utimes(folder.path, folder.atime, folder.mtime);
    }
    return cloneWorks === true ? 'clone' : 'copy';
}
function baseName(relative) {
    return relative.slice(relative.lastIndexOf('/') + 1);
}

;// CONCATENATED MODULE: ./src/workspace/clone-file.ts




/**
 * Duplicates a (large, often sparse) file such as a root disk: a copy-on-write clone where the filesystem can
 * (APFS, btrfs, xfs: instant, no space used), else a sparse copy (holes stay holes), else a plain copy.
 */
async function cloneFile(source, target) {
    try {
        await (0,promises_.copyFile)(source, target, external_node_fs_.constants.COPYFILE_FICLONE_FORCE);
        return 'clone';
    }
    catch {
        // not supported here: fall through
    }
    if (hasGnuCp()) {
        const result = (0,external_node_child_process_.spawnSync)('cp', ['--sparse=always', '--', source, target], { encoding: 'utf8' });
        if (result.status === 0)
            return 'sparse-copy';
    }
    await (0,promises_.copyFile)(source, target);
    return 'copy';
}

// EXTERNAL MODULE: ./src/workspace/collect.ts + 1 modules
var collect = __webpack_require__(3204);
// EXTERNAL MODULE: ./src/workspace/inputs.ts
var inputs = __webpack_require__(5608);
;// CONCATENATED MODULE: ./src/workspace/sanitize.ts


// On Linux, /proc/self/fd/<fd> names an open folder itself: looking names up under it is openat(), so a guest
// that swaps a folder for a link while we walk (a cache another running job shares) cannot steer us elsewhere.
const FD_PATHS = (0,external_node_fs_.existsSync)('/proc/self/fd');
const OPEN_NOFOLLOW = external_node_fs_.constants.O_RDONLY | external_node_fs_.constants.O_NOFOLLOW | external_node_fs_.constants.O_NONBLOCK;
const sanitize_SLASH = Buffer.from('/');
/**
 * Makes a folder a guest or job wrote into safe for the host to keep and upload: pipes, sockets and device nodes
 * are removed, and so are symlinks unless `keepLinks` (a cache's links are only ever followed inside a guest);
 * setuid, setgid and sticky bits are cleared. `privilegedOnly`: device nodes and set-id bits only (what grants
 * privilege on the host), links, pipes and sockets left for the collection to name. Never follows a link: each entry is opened with O_NOFOLLOW and
 * changed through that handle, and folders are entered through their handles where the OS allows it.
 * Returns the relative paths removed.
 */
async function sanitizeTree(folder, options = {}) {
    const removed = [];
    const top = await (0,promises_.lstat)(folder).catch(() => undefined);
    if (top === undefined || !top.isDirectory())
        return removed;
    // Paths are bytes: a guest's name that is not UTF-8 still names its entry (as text it would name none).
    const visit = async (here, relative) => {
        for (const entry of await (0,promises_.readdir)(here, { withFileTypes: true, encoding: 'buffer' })) {
            const text = entry.name.toString('utf8');
            const path = relative === '' ? text : `${relative}/${text}`;
            const full = Buffer.concat([here, sanitize_SLASH, entry.name]);
            if (entry.isSymbolicLink() && (options.keepLinks === true || options.privilegedOnly === true))
                continue;
            // Pipes and sockets grant nothing: left for the collection to name.
            if ((entry.isFIFO() || entry.isSocket()) && options.privilegedOnly === true)
                continue;
            if (!entry.isFile() && !entry.isDirectory()) {
                // unlink never follows; a folder put in its place since is left alone (rm without recursive refuses it).
                await (0,promises_.rm)(full, { force: true }).catch(() => undefined);
                removed.push(path);
                continue;
            }
            const handle = await (0,promises_.open)(full, OPEN_NOFOLLOW).catch(() => undefined);
            if (handle === undefined)
                continue; // replaced by a link (ELOOP) or gone since the listing
            try {
                const info = await handle.stat();
                if (!info.isFile() && !info.isDirectory())
                    continue;
                if ((info.mode & 0o7000) !== 0)
                    await handle.chmod(info.mode & 0o777);
                if (info.isDirectory())
                    await visit(FD_PATHS ? Buffer.from(`/proc/self/fd/${handle.fd}`) : full, path);
            }
            finally {
                await handle.close();
            }
        }
    };
    await visit(Buffer.from(folder), '');
    return removed;
}

// EXTERNAL MODULE: ./src/executors/phases.ts
var phases = __webpack_require__(4688);
;// CONCATENATED MODULE: ./src/executors/vm/guest-files.ts



/** Quotes a value for POSIX sh: single quotes, with embedded ones closed, escaped and reopened. */
function shellQuote(value) {
    return `'${value.replaceAll("'", `'\\''`)}'`;
}
/** `NAME='value'` lines that the guest agent sources. */
function envFileText(variables) {
    return Object.keys(variables)
        .sort()
        .map((name) => `${name}=${shellQuote(variables[name])}\n`)
        .join('');
}
/**
 * A `find -path` pattern matching at least what a workspace glob matches: `**` and braces widen to `*` (which
 * crosses "/" in find). The host filters what comes back with the exact glob.
 */
function globToFindPattern(glob) {
    const widened = glob
        .replace(/\/+$/, '')
        .replaceAll('**/', '*')
        .replaceAll('**', '*')
        .replace(/\{[^}]*\}/g, '*');
    return `./${widened}`;
}
/** Writes the job's guest folder (the vmplan-job share): job.env, env, secrets.env (0600, not for a shell), command.sh. */
function writeGuestFiles(folder, settings, secrets) {
    const { node } = settings;
    (0,external_node_fs_.mkdirSync)(folder, { recursive: true, mode: 0o700 });
    const jobEnv = envFileText({
        VMPLAN_JOB: node.job,
        VMPLAN_WORKDIR: node.workingDirectory,
        VMPLAN_TIMEOUT_SECONDS: String(settings.timeoutSeconds),
        VMPLAN_RUN_AS_ROOT: node.runAsRoot ? '1' : '0',
        VMPLAN_WORKSPACE_MODE: settings.workspaceMode,
        VMPLAN_WRITABLE_WORKSPACE: node.writableWorkspace ? '1' : '0',
        VMPLAN_COLLECT_ARTIFACTS: node.artifacts.map(globToFindPattern).join('\n'),
        VMPLAN_COLLECT_REPORTS: (0,schema/* reportGlobs */.i9)(node).map(globToFindPattern).join('\n'),
        VMPLAN_COLLECT_OUTPUTS: (node.outputs ?? []).map(globToFindPattern).join('\n'),
        // Overlay mode: share vmplan-inputs goes over the snapshot (the outputs of the jobs it needs).
        VMPLAN_INPUTS: settings.inputs ? '1' : '0',
        VMPLAN_NETWORK: settings.network === false ? '0' : '1',
        // "address/prefix gateway dns", or empty: ask DHCP.
        VMPLAN_NET_STATIC: settings.network !== false && settings.staticNetwork !== undefined
            ? `${settings.staticNetwork.address} ${settings.staticNetwork.gateway} ${settings.staticNetwork.dns}`
            : '',
        VMPLAN_DISK: settings.disk ? '1' : '0',
        VMPLAN_SHELL: settings.shell === true ? '1' : '0',
        // One "name path" per line: share vmplan-cache-<name> goes at path.
        VMPLAN_CACHES: node.caches.map((cache) => `${cache.name} ${cache.guestPath}`).join('\n'),
    });
    (0,external_node_fs_.writeFileSync)((0,external_node_path_.join)(folder, 'job.env'), jobEnv);
    (0,external_node_fs_.writeFileSync)((0,external_node_path_.join)(folder, 'env'), envFileText({ ...node.env, VMPLAN_JOB: node.job }));
    (0,external_node_fs_.writeFileSync)((0,external_node_path_.join)(folder, 'command.sh'), `${node.command}\n`);
    // A shell never gets the job's secrets: the user typing in it is not the job.
    if (settings.shell === true)
        return;
    const secretsFile = (0,external_node_path_.join)(folder, 'secrets.env');
    (0,external_node_fs_.writeFileSync)(secretsFile, envFileText(secrets), { mode: 0o600 });
    (0,external_node_fs_.chmodSync)(secretsFile, 0o600);
}

// EXTERNAL MODULE: ./node_modules/zod/v4/classic/schemas.js + 11 modules
var schemas = __webpack_require__(2857);
;// CONCATENATED MODULE: ./src/executors/vm/guest-result.ts


/** Largest result.json the host reads: it is a few hundred bytes when honest. */
const MAX_RESULT_BYTES = 64 * 1024;
/** A time on the guest's clock: at most about 11 days of uptime. */
const centiseconds = schemas/* number */.aig().int().min(0).max(100_000_000);
/** `result.json` as the guest agent writes it (docs/guest-protocol.md). Untrusted: validated strictly. */
const GuestResultSchema = schemas/* strictObject */.rej({
    version: schemas/* literal */.euz(1),
    status: schemas/* enum */.k5n(['passed', 'failed', 'timed_out', 'error']),
    exitCode: schemas/* number */.aig().int().min(0).max(255).nullable(),
    startedAt: schemas/* string */.YjP().max(64).nullable(),
    finishedAt: schemas/* string */.YjP().max(64),
    message: schemas/* string */.YjP().max(4096).nullable(),
    uptimes: schemas/* strictObject */.rej({
        started: centiseconds,
        command: centiseconds.nullable(),
        finished: centiseconds.nullable(),
        collected: centiseconds,
    })
        .optional()
        .describe("The guest's clock (centiseconds since its kernel started) when the agent started, the command started and ended, and the results were collected; older agents write none."),
});
/**
 * Reads the guest's result.json as untrusted input: a regular file only (never through a symlink the guest
 * planted), at most MAX_RESULT_BYTES, valid JSON matching the schema.
 */
function readGuestResult(path) {
    let fd;
    try {
        fd = (0,external_node_fs_.openSync)(path, external_node_fs_.constants.O_RDONLY | external_node_fs_.constants.O_NOFOLLOW | external_node_fs_.constants.O_NONBLOCK);
    }
    catch (error) {
        const code = error.code;
        if (code === 'ENOENT')
            return { kind: 'missing' };
        if (code === 'ELOOP')
            return { kind: 'invalid', problem: 'result.json is a symlink' };
        return { kind: 'invalid', problem: `result.json cannot be read (${code})` };
    }
    try {
        const info = (0,external_node_fs_.fstatSync)(fd);
        if (!info.isFile())
            return { kind: 'invalid', problem: 'result.json is not a regular file' };
        if (info.size > MAX_RESULT_BYTES) {
            return {
                kind: 'invalid',
                problem: `result.json is ${info.size} bytes, more than the ${MAX_RESULT_BYTES} allowed`,
            };
        }
        const buffer = Buffer.alloc(Number(info.size));
        const read = (0,external_node_fs_.readSync)(fd, buffer, 0, buffer.length, 0);
        let data;
        try {
            data = JSON.parse(buffer.subarray(0, read).toString('utf8'));
        }
        catch (error) {
            return { kind: 'invalid', problem: `result.json is not valid JSON (${error.message})` };
        }
        const parsed = GuestResultSchema.safeParse(data);
        if (!parsed.success) {
            const issue = parsed.error.issues[0];
            const where = issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
            return {
                kind: 'invalid',
                problem: `result.json does not match the guest protocol (${where}${issue.message})`,
            };
        }
        return { kind: 'ok', result: parsed.data };
    }
    finally {
        (0,external_node_fs_.closeSync)(fd);
    }
}

;// CONCATENATED MODULE: ./src/executors/vm/inert-mounts.ts


/** Runs `mount`/`umount`; the trimmed stderr when it failed, else undefined. */
function run(command, args) {
    const result = (0,external_node_child_process_.spawnSync)(command, args, { encoding: 'utf8' });
    if (result.error !== undefined)
        return result.error.message;
    return result.status === 0 ? undefined : result.stderr.trim() || `exit ${String(result.status)}`;
}
/**
 * Makes each folder a `nosuid,nodev` bind mount of itself (Linux, as root): whatever a guest's share server
 * creates there — a set-id file, a device node — is inert for every process on the host from the moment it
 * exists, until the job's sweep has cleared it and `release` unmounts. A mount that fails undoes the others and
 * throws with the folder and mount's own words.
 */
function mountInert(folders) {
    const mounted = [];
    const release = () => {
        const problems = [];
        for (const folder of [...mounted].reverse()) {
            const failed = run('umount', [folder]);
            // Busy (a helper not yet gone): detach it; the mount stays nosuid,nodev until the last user is.
            if (failed !== undefined && run('umount', ['-l', folder]) !== undefined)
                problems.push(`cannot unmount ${folder}: ${failed}`);
        }
        mounted.length = 0;
        return problems;
    };
    for (const folder of folders) {
        // util-linux binds and applies the flags in one call (one process: a job's start waits for these); a mount
        // that bound without them (an older or other `mount`) gets the remount that sets them.
        const bound = run('mount', ['--bind', '-o', 'nosuid,nodev', folder, folder]);
        if (bound === undefined)
            mounted.push(folder);
        const why = bound ?? (isInert(folder) ? undefined : run('mount', ['-o', 'remount,bind,nosuid,nodev', folder]));
        if (why !== undefined) {
            release();
            throw new Error(`cannot make the shared folder ${folder} nosuid,nodev (${why}): vmplan needs to mount (root with CAP_SYS_ADMIN) to share folders over virtiofs safely; set VMPLAN_QEMU_SHARES=9p to share them over 9p instead`);
        }
    }
    return { folders: [...mounted], release };
}
/** True when the mount on top at `folder` is `nosuid,nodev` (from /proc/self/mountinfo; false when unreadable). */
function isInert(folder, mountinfo = readMountinfo()) {
    let target;
    try {
        target = (0,external_node_fs_.realpathSync)(folder);
    }
    catch {
        return false;
    }
    // Fields: id, parent, device, root, mount point (spaces and the like as \ooo), mount options, ...; the
    // last line for a mount point is the mount on top.
    const options = mountinfo
        .split('\n')
        .map((line) => line.split(' '))
        .filter((fields) => fields.length > 5 && unescapeMountPath(fields[4]) === target)
        .pop()?.[5]
        ?.split(',');
    return options?.includes('nosuid') === true && options.includes('nodev');
}
function readMountinfo() {
    try {
        return (0,external_node_fs_.readFileSync)('/proc/self/mountinfo', 'utf8');
    }
    catch {
        return '';
    }
}
/** A mountinfo path: the kernel writes space, tab, newline and backslash as \ooo. */
function unescapeMountPath(path) {
    return path.replace(/\\([0-7]{3})/g, (_match, octal) => String.fromCharCode(Number.parseInt(octal, 8)));
}

// EXTERNAL MODULE: external "node:timers/promises"
var external_node_timers_promises_ = __webpack_require__(8500);
;// CONCATENATED MODULE: ./src/executors/vm/tail-file.ts


/** How often a growing file is polled: live enough for a human, cheap for the host. */
const POLL_MS = 100;
const CHUNK = 256 * 1024;
/**
 * Follows a file a guest writes (guest.log on the job share) into a stream, until `stop` resolves; then reads
 * what is left and ends the stream. Never follows a symlink (the guest controls that folder). At most
 * `maxBytes` are copied (a guest can write without end, or a sparse file of any size): then one line says so.
 */
async function followFile(path, into, stop, maxBytes = Number.MAX_SAFE_INTEGER) {
    let offset = 0;
    let cut = false;
    let stopped = false;
    void stop.then(() => {
        stopped = true;
    });
    const buffer = Buffer.alloc(CHUNK);
    const drain = async () => {
        let fd;
        try {
            fd = (0,external_node_fs_.openSync)(path, external_node_fs_.constants.O_RDONLY | external_node_fs_.constants.O_NOFOLLOW | external_node_fs_.constants.O_NONBLOCK);
        }
        catch {
            return; // not there yet, or not a file we read
        }
        try {
            if (!(0,external_node_fs_.fstatSync)(fd).isFile())
                return;
            for (;;) {
                if (offset >= maxBytes) {
                    if (!cut)
                        into.write(`\nvmplan: the guest's output was cut here, at ${maxBytes} bytes (limits.log-bytes)\n`);
                    cut = true;
                    return;
                }
                const read = (0,external_node_fs_.readSync)(fd, buffer, 0, Math.min(CHUNK, maxBytes - offset), offset);
                if (read <= 0)
                    return;
                offset += read;
                if (!into.write(Buffer.from(buffer.subarray(0, read))))
                    await new Promise((resolve) => into.once('drain', resolve));
            }
        }
        finally {
            (0,external_node_fs_.closeSync)(fd);
        }
    };
    while (!stopped) {
        await drain();
        await Promise.race([(0,external_node_timers_promises_.setTimeout)(POLL_MS), stop]);
    }
    await drain();
    await new Promise((resolve) => into.end(resolve));
}

// EXTERNAL MODULE: ./src/plan/build.ts + 1 modules
var build = __webpack_require__(4898);
;// CONCATENATED MODULE: ./src/executors/vm/vm-spec.ts

/** Share tags of the guest protocol (docs/guest-protocol.md). */
const SHARE_TAGS = { job: 'vmplan-job', work: 'vmplan-work', inputs: 'vmplan-inputs' };
/** Tag prefix of a job's caches: `vmplan-cache-<name>` (names of at most 22 bytes keep tags under 36). */
const CACHE_TAG_PREFIX = 'vmplan-cache-';
/** Kernel arguments every vmplan guest boots with: the console on hvc0, and a panic ends the VM at once. */
const BASE_CMDLINE = 'console=hvc0 panic=-1';
/** Builds the VM spec of an execute node from its prepared image and the host paths the job uses. */
function buildVmSpec(input) {
    const { node, image } = input;
    return {
        name: node.job,
        arch: image.arch,
        cpus: node.cpus ?? build/* PLAN_DEFAULTS */.zJ.cpus,
        memoryMiB: node.memory ?? build/* PLAN_DEFAULTS */.zJ.memory,
        kernel: image.kernel,
        initrd: image.initrd,
        cmdline: [BASE_CMDLINE, image.cmdline ?? ''].join(' ').trim(),
        disk: input.disk,
        shares: [
            { tag: SHARE_TAGS.job, hostPath: input.jobShare, readOnly: false },
            { tag: SHARE_TAGS.work, hostPath: input.workShare, readOnly: !input.workShareWritable },
            ...(input.inputsShare === undefined
                ? []
                : [{ tag: SHARE_TAGS.inputs, hostPath: input.inputsShare, readOnly: true }]),
            ...(input.caches ?? []).map((cache) => ({
                tag: `${CACHE_TAG_PREFIX}${cache.name}`,
                hostPath: cache.hostPath,
                readOnly: false,
            })),
        ],
        consoleLog: input.consoleLog,
        restSocket: input.restSocket,
        pidFile: input.pidFile,
        network: input.network ?? true,
        ...(input.interactive === true ? { console: 'stdio' } : {}),
    };
}

;// CONCATENATED MODULE: ./src/executors/vm/vm-job.ts




















/**
 * Runs one job in a throw-away VM: writes the guest files (job share), gives the VM its workspace (the run's
 * snapshot for an overlay, or a per-job copy) and a clone of the root disk, boots it, streams guest.log, stops
 * it on timeout or cancellation, then reads the untrusted result.json and brings artifacts back.
 */
async function runVmJob(context, launcher, settings) {
    const seen = { launch: null, exit: null, commandSeen: null, uptimes: undefined, unwatch: () => { } };
    const start = Date.now();
    try {
        const outcome = await runTimedVmJob(context, launcher, settings, seen);
        const { uptimes, launch, exit, commandSeen } = seen;
        const times = { start, launch, exit, commandSeen, end: Date.now() };
        return { ...outcome, phases: (0,phases/* vmPhases */.K)(times, uptimes) };
    }
    finally {
        seen.unwatch();
    }
}
/**
 * Sets `seen.commandSeen` when the guest creates guest.log in its share (the agent does when the command starts):
 * the one event both clocks see. Without file events here, the VM's phases are not split.
 */
function watchCommandStart(guestDir, seen) {
    try {
        const watcher = (0,external_node_fs_.watch)(guestDir, (_event, name) => {
            if (name !== 'guest.log' || seen.commandSeen !== null)
                return;
            seen.commandSeen = Date.now();
            watcher.close();
        });
        watcher.on('error', () => watcher.close());
        seen.unwatch = () => watcher.close();
    }
    catch {
        // no file events
    }
}
async function runTimedVmJob(context, launcher, given, seen) {
    const { node, jobDir, log, image } = context;
    const shell = context.shell === true;
    // A shell works on its own copy of the job's workspace (see JobContext.shell).
    const settings = shell ? { ...given, workspaceMode: 'copy' } : given;
    if (image === undefined)
        return { status: 'failed', exitCode: null, message: `image "${node.image}" was not prepared` };
    const guestDir = (0,external_node_path_.join)(jobDir, 'guest');
    const socket = (0,external_node_path_.join)(settings.socketDir, `${(0,external_node_crypto_.randomBytes)(6).toString('hex')}.sock`);
    const pidFile = (0,external_node_path_.join)(jobDir, `${launcher.name}.pid`);
    const consoleLog = (0,external_node_path_.join)(jobDir, 'console.log');
    const logBytes = (context.limits ?? limits/* DEFAULT_LIMITS */.dR).logBytes;
    let disk = null;
    let view;
    let passed = false;
    let disarm;
    writeGuestFiles(guestDir, {
        node,
        timeoutSeconds: Math.ceil(node.timeoutMinutes * 60),
        workspaceMode: settings.workspaceMode,
        inputs: context.inputs.length > 0 && settings.workspaceMode !== 'copy',
        network: context.network,
        staticNetwork: context.network ? launcher.staticNetwork : undefined,
        disk: image.disk !== null,
        shell,
    }, shell ? {} : context.secrets);
    try {
        const workShare = settings.workspaceMode === 'overlay' && launcher.enforcesReadOnlyShares
            ? context.workspace.snapshotDir
            : await jobWorkShare(context, settings.workspaceMode);
        if (settings.workspaceMode !== 'copy' && workShare !== context.workspace.snapshotDir)
            view = workShare;
        await ensureGuestWritable(workShare, settings.writableFolders);
        // The outputs of the jobs it needs: in its own workspace copy, else in a folder the guest lays over the
        // snapshot. Placed after the hand-over to the guest user, so they stay the runner's (read-only to the job).
        let inputsShare;
        if (context.inputs.length > 0) {
            const into = settings.workspaceMode === 'copy' ? workShare : (0,external_node_path_.join)(jobDir, 'inputs');
            (0,external_node_fs_.mkdirSync)(into, { recursive: true });
            const placed = await (0,inputs/* placeInputs */.v)(context.inputs, into);
            if (settings.workspaceMode !== 'copy')
                inputsShare = into;
            await log.note(`vmplan: outputs of ${context.inputs.map((input) => input.from).join(', ')} in the workspace (read-only): ${placed.paths.join(', ')}`);
        }
        if (image.disk !== null) {
            disk = (0,external_node_path_.join)(jobDir, 'disk.img');
            const method = await cloneFile(image.disk, disk);
            await log.note(`vmplan: root disk ready (${method})`);
        }
        const caches = node.caches.map((cache) => ({
            name: cache.name,
            hostPath: (0,external_node_path_.join)(context.sharedCachesDir, cache.name),
        }));
        // Leased until the run ends, so gc never removes a cache a job is using.
        for (const cache of caches)
            await (0,lease/* withLock */.kK)(cache.hostPath, () => {
                prepareCacheFolder(cache.hostPath);
                (0,lease/* takeLease */._e)(cache.hostPath);
            });
        const spec = buildVmSpec({
            node,
            image,
            caches,
            jobShare: guestDir,
            workShare,
            workShareWritable: settings.workspaceMode === 'copy',
            inputsShare,
            disk,
            consoleLog,
            restSocket: socket,
            pidFile,
            network: context.network,
            interactive: shell,
        });
        (0,external_node_fs_.rmSync)(socket, { force: true });
        if (context.signal.aborted)
            return { status: 'failed', exitCode: null, message: 'stopped before the VM started' };
        disarm = guardShares(writableShares(spec.shares, launcher), launcher, log);
        watchCommandStart(guestDir, seen);
        const launchCalled = Date.now();
        const vm = await launcher.launch(spec, log);
        seen.launch = vm.spawnedAt ?? launchCalled;
        // Started detached: the VM process leads its own group (the vfkit shim or QEMU with its helpers).
        context.onProcess({ pid: vm.pid, group: true, restSocket: launcher.restControlled ? socket : null });
        let stopping;
        const onAbort = () => {
            stopping ??= vm.stop(context.killGraceMs());
        };
        if (context.signal.aborted)
            onAbort();
        else
            context.signal.addEventListener('abort', onAbort, { once: true });
        const following = context.guestLog === undefined
            ? Promise.resolve()
            : followFile((0,external_node_path_.join)(guestDir, 'guest.log'), context.guestLog.input(), vm.exited, logBytes);
        const exit = await vm.exited;
        seen.exit = Date.now();
        seen.unwatch();
        context.signal.removeEventListener('abort', onAbort);
        await stopping;
        await following;
        if (shell) {
            // Nothing to collect from a shell: its VM is gone, its shares are swept like a job's.
            await disarm();
            await sweepCaches(caches, log);
            if (exit.code === 0)
                return { status: 'passed', exitCode: 0, message: null };
            return { status: 'failed', exitCode: null, message: launcher.failureMessage(exit, vm.stderrTail()) };
        }
        // The console mirrors the job's output: capped and masked like it.
        await capFile(consoleLog, logBytes, log);
        if ((0,external_node_fs_.existsSync)(consoleLog))
            await (0,mask_file/* maskFileInPlace */.B)(consoleLog, context.runSecrets);
        // Nothing privileged stays once the guest is gone, whatever the collection then does.
        await disarm();
        try {
            await bringBack(context, guestDir);
        }
        finally {
            await sweepCaches(caches, log);
        }
        if (context.signal.aborted)
            return { status: 'failed', exitCode: null, message: 'stopped' };
        if (exit.code !== 0) {
            return {
                status: 'failed',
                exitCode: null,
                message: launcher.failureMessage(exit, vm.stderrTail()),
                infrastructure: true,
            };
        }
        const outcome = outcomeFromResult((0,external_node_path_.join)(guestDir, 'result.json'), log, seen);
        passed = outcome.status === 'passed';
        return outcome;
    }
    finally {
        // A failure anywhere above (the launch, the log, the collection) still sweeps and unmounts the shares.
        await disarm?.();
        (0,external_node_fs_.rmSync)((0,external_node_path_.join)(guestDir, 'secrets.env'), { force: true });
        // The guest's own copy of its output is unmasked; the job's guest.log is the masked one.
        (0,external_node_fs_.rmSync)((0,external_node_path_.join)(guestDir, 'guest.log'), { force: true });
        if (disk !== null) {
            if (settings.keepFailedDisks && !passed)
                await log.note(`vmplan: kept the failed job's root disk: ${disk}`);
            else
                (0,external_node_fs_.rmSync)(disk, { force: true });
        }
        (0,external_node_fs_.rmSync)(socket, { force: true });
        (0,external_node_fs_.rmSync)(pidFile, { force: true });
        if (view !== undefined)
            (0,external_node_fs_.rmSync)(view, { recursive: true, force: true });
        // The guest could write into its inputs share (vfkit cannot keep it read-only): nothing of it is kept.
        (0,external_node_fs_.rmSync)((0,external_node_path_.join)(jobDir, 'inputs'), { recursive: true, force: true });
    }
}
/** Cuts a log the guest wrote past `bytes` (a guest can print without end), saying so in the job's log. */
async function capFile(path, bytes, log) {
    const info = lstatOrUndefined(path);
    if (info === undefined || !info.isFile() || info.size <= bytes)
        return;
    (0,external_node_fs_.truncateSync)(path, bytes);
    await log.note(`vmplan: ${(0,external_node_path_.basename)(path)} cut at ${(0,util_bytes/* formatBytes */.z)(bytes)} of ${(0,util_bytes/* formatBytes */.z)(info.size)} (limits.log-bytes)`);
}
/** The host folders of the shares a (root) guest can write: all but those the hypervisor keeps read-only. */
function writableShares(shares, launcher) {
    return shares
        .filter((share) => !(share.readOnly && launcher.enforcesReadOnlyShares))
        .map((share) => share.hostPath);
}
/**
 * Guards the shares a guest can write from the moment it boots: `nosuid,nodev` mounts where the share server
 * keeps set-id bits (see VmLauncher.sharesKeepSetId). Returns the sweep that clears any device node and set-id
 * bit the guest left, then unmounts — run once, after the VM is gone, whatever failed.
 */
function guardShares(folders, launcher, log) {
    const mounts = launcher.sharesKeepSetId === true ? mountInert(folders) : undefined;
    let done;
    return () => {
        done ??= (async () => {
            const removed = [];
            try {
                for (const folder of folders)
                    removed.push(...(await sanitizeTree(folder, { privilegedOnly: true })).map((path) => `${folder}/${path}`));
            }
            finally {
                const problems = mounts?.release() ?? [];
                if (problems.length > 0)
                    await log.note(`vmplan: ${problems.join('; ')}`);
            }
            if (removed.length > 0)
                await log.note(`vmplan: removed ${removed.length} device node(s) the guest made in its shares: ${removed
                    .slice(0, 5)
                    .map((path) => JSON.stringify(path))
                    .join(', ')}`);
        })();
        return done;
    };
}
/** The job's outcome from result.json, which the guest wrote and nothing vouches for. */
function outcomeFromResult(path, log, seen) {
    const read = readGuestResult(path);
    if (read.kind === 'ok')
        seen.uptimes = read.result.uptimes;
    if (read.kind === 'missing') {
        return {
            status: 'failed',
            exitCode: null,
            message: 'the guest stopped without a result (see guest.log and console.log)',
            infrastructure: true,
        };
    }
    if (read.kind === 'invalid')
        return { status: 'failed', exitCode: null, message: `invalid result from the guest: ${read.problem}` };
    const { result } = read;
    const message = result.message === null ? null : log.mask(stripControlCharacters(result.message));
    switch (result.status) {
        case 'passed':
            return { status: 'passed', exitCode: result.exitCode ?? 0, message: null };
        case 'timed_out':
            return { status: 'timed_out', exitCode: result.exitCode, message };
        case 'error':
            return { status: 'failed', exitCode: null, message: message ?? 'the guest could not run the job' };
        default:
            return {
                status: 'failed',
                exitCode: result.exitCode,
                message: message ?? `exited with code ${result.exitCode}`,
            };
    }
}
/**
 * The folder shared as the job's workspace when the launcher cannot keep a share read-only: a root guest can
 * remount any share read-write (virtio-fs has no read-only export under vfkit), so each job gets its own clone,
 * and nothing it does reaches another job or the host's snapshot. `copy` mode keeps the clone as the job's workspace; the overlay's
 * view (`snapshot-view`) is dropped when the job ends.
 */
async function jobWorkShare(context, mode) {
    const share = (0,external_node_path_.join)(context.jobDir, mode === 'copy' ? 'workspace' : 'snapshot-view');
    const copy = await context.workspace.jobCopy(share);
    const what = mode === 'copy' ? 'workspace copy' : "the job's view of the snapshot";
    await context.log.note(`vmplan: ${what} ready in ${copy.ms} ms (${copy.method})`);
    return share;
}
/** Caches outlive the job and are read by later ones: no device, pipe or setuid file may stay in them. */
async function sweepCaches(caches, log) {
    for (const cache of caches) {
        const removed = await sanitizeTree(cache.hostPath, { keepLinks: true });
        if (removed.length > 0)
            await log.note(`vmplan: removed ${removed.length} device(s), pipe(s) or socket(s) from cache ${cache.name}`);
    }
}
/** An entry's own type and mode (a symlink is reported as one), or undefined when there is none. */
function lstatOrUndefined(path) {
    try {
        return (0,external_node_fs_.lstatSync)(path);
    }
    catch {
        return undefined;
    }
}
/** Copies what the guest collected, filtered by the job's exact globs, and its workspace changes. */
async function bringBack(context, guestDir) {
    const { node, jobDir, log } = context;
    // The guest copied at least what the globs match into its share; keep exactly what they match.
    const roots = {
        artifacts: (0,external_node_path_.join)(guestDir, 'artifacts'),
        reports: (0,external_node_path_.join)(guestDir, 'reports'),
        outputs: (0,external_node_path_.join)(guestDir, 'outputs'),
    };
    // The agent collects outputs only after the command passed (and the engine gives them to dependents only then).
    const outputs = (0,external_node_fs_.existsSync)(roots.outputs) ? (node.outputs ?? []) : [];
    const notes = await (0,collect/* collectJobOutputs */.Wr)(roots, { artifacts: node.artifacts, reports: (0,schema/* reportGlobs */.i9)(node), outputs }, jobDir, context.runSecrets, context.limits ?? limits/* DEFAULT_LIMITS */.dR);
    if (notes.length > 0)
        await log.note(notes.join('\n'));
    for (const folder of Object.values(roots))
        (0,external_node_fs_.rmSync)(folder, { recursive: true, force: true });
    // What stays of the share (result.json, logs) is kept and uploaded: no link, pipe or device may stay in it.
    const removed = await sanitizeTree(guestDir);
    // result.json is kept and uploaded with the logs: its message is the guest's words, secrets included.
    if (lstatOrUndefined((0,external_node_path_.join)(guestDir, 'result.json'))?.isFile() === true)
        await (0,mask_file/* maskFileInPlace */.B)((0,external_node_path_.join)(guestDir, 'result.json'), context.runSecrets);
    if (removed.length > 0)
        await log.note(`vmplan: removed ${removed.length} link(s), pipe(s) or device(s) the guest left in its share: ${removed
            .slice(0, 5)
            .map((path) => JSON.stringify(path))
            .join(', ')}`);
    // The guest wrote these too: kept only as what they claim to be (a folder, a file), never as a link.
    for (const [name, isExpected] of [
        ['workspace-changes', (info) => info.isDirectory()],
        ['workspace-deleted.txt', (info) => info.isFile()],
    ]) {
        const info = lstatOrUndefined((0,external_node_path_.join)(guestDir, name));
        if (info === undefined)
            continue;
        if (isExpected(info)) {
            (0,external_node_fs_.renameSync)((0,external_node_path_.join)(guestDir, name), (0,external_node_path_.join)(jobDir, name));
            // The guest's files become the runner's: as root, the guest user's uid could be a real user here.
            if (process.getuid?.() === 0)
                (0,external_node_child_process_.spawnSync)('chown', ['-R', '-h', '0:0', (0,external_node_path_.join)(jobDir, name)]);
            // Uploaded with the logs: a token the job wrote into a file (.npmrc) is masked like an artifact's.
            if (info.isDirectory())
                await maskTreeInPlace((0,external_node_path_.join)(jobDir, name), context.runSecrets);
            else
                await (0,mask_file/* maskFileInPlace */.B)((0,external_node_path_.join)(jobDir, name), context.runSecrets);
        }
        else {
            (0,external_node_fs_.rmSync)((0,external_node_path_.join)(guestDir, name), { recursive: true, force: true });
            await log.note(`vmplan: left the guest's ${name} behind: it is not a plain ${name.endsWith('.txt') ? 'file' : 'folder'}`);
        }
    }
}
/**
 * A cache's host folder, created on first use. Running as root (a Linux runner), it is handed to the guest
 * user (uid 1000) as the workspace is; what the guest writes inside then belongs to that user already.
 */
function prepareCacheFolder(path) {
    if ((0,external_node_fs_.existsSync)(path))
        return;
    (0,external_node_fs_.mkdirSync)(path, { recursive: true });
    if (process.getuid?.() === 0)
        (0,external_node_fs_.chownSync)(path, 1000, 1000);
}
/**
 * When vmplan runs as root (CI containers), the snapshot belongs to root and the guest's unprivileged job user
 * could not write its workspace: hand the folder to uid 1000, the user the guest agent then runs as. Once per folder.
 */
async function ensureGuestWritable(folder, done) {
    if (process.getuid?.() !== 0)
        return;
    let pending = done.get(folder);
    if (pending === undefined) {
        pending = Promise.resolve().then(() => {
            const result = (0,external_node_child_process_.spawnSync)('chown', ['-R', '-h', '1000:1000', folder], { encoding: 'utf8' });
            if (result.status !== 0)
                throw new Error(`cannot hand the workspace to the guest user: ${result.stderr.trim()}`);
        });
        done.set(folder, pending);
    }
    await pending;
}
/** Replaces control characters (from an untrusted message) with spaces. */
function stripControlCharacters(text) {
    return [...text]
        .map((char) => (char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f ? ' ' : char))
        .join('');
}


/***/ }),

/***/ 3423:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   T: () => (/* binding */ executorsUsing)
/* harmony export */ });
/** The executors of the jobs that boot an image in this plan, sorted (their kernel checks and preflights apply). */
function executorsUsing(plan, node) {
    const executors = new Set();
    for (const id of node.usedBy) {
        const user = plan.nodes.find((candidate) => candidate.id === id);
        if (user !== undefined)
            executors.add(user.executor);
    }
    return [...executors].sort();
}


/***/ }),

/***/ 7728:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   B: () => (/* binding */ shortSocketDir)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_1__);


/**
 * A short, private folder for unix sockets: socket paths are limited to ~103 bytes, and run folders can be
 * deep (macOS temp folders alone are ~50). `/tmp/vmplan-<uid>`, mode 0700, owned by this user.
 */
function shortSocketDir(base = '/tmp') {
    const uid = process.getuid?.() ?? 0;
    const dir = (0,node_path__WEBPACK_IMPORTED_MODULE_1__.join)(base, `vmplan-${uid}`);
    (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.mkdirSync)(dir, { recursive: true, mode: 0o700 });
    const info = (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.statSync)(dir);
    if (info.uid !== uid || (info.mode & 0o077) !== 0) {
        throw new Error(`${dir} must belong to uid ${uid} with mode 0700 (it holds VM control sockets); remove it and retry`);
    }
    return dir;
}


/***/ })

};

//# sourceMappingURL=895.index.js.map