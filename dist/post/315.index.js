export const id = 315;
export const ids = [315];
export const modules = {

/***/ 4688:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   K: () => (/* binding */ vmPhases),
/* harmony export */   h: () => (/* binding */ hostPhases)
/* harmony export */ });
/**
 * A VM job's phases on the host's clock. The guest's times are seconds since its kernel started (monotonic,
 * from the untrusted result); one event both sides saw (guest.log created) ties the two clocks, and every
 * guest time is kept between the hypervisor's start and exit, in order. Without that event or the guest's
 * times, the VM is one `vm` phase.
 */
function vmPhases(times, uptimes) {
    const phases = [];
    const add = (phase, start, end) => {
        phases.push({ phase, start, end: Math.max(start, end) });
    };
    if (times.launch === null) {
        add('prepare', times.start, times.end);
        return phases;
    }
    add('prepare', times.start, times.launch);
    const exit = times.exit ?? times.end;
    if (uptimes === undefined || uptimes.command === null || times.commandSeen === null) {
        add('vm', times.launch, exit);
    }
    else {
        // The kernel started `uptimes.command` before the host saw guest.log appear.
        const kernel = clamp(times.commandSeen - uptimes.command * 10, times.launch, exit);
        let last = kernel;
        const at = (centiseconds) => {
            if (centiseconds !== null)
                last = clamp(kernel + centiseconds * 10, last, exit);
            return last;
        };
        add('hypervisor', times.launch, kernel);
        add('boot', kernel, at(uptimes.started));
        add('setup', last, at(uptimes.command));
        add('command', last, at(uptimes.finished));
        add('collect', last, at(uptimes.collected));
        add('shutdown', last, exit);
    }
    add('finish', exit, times.end);
    return phases;
}
/**
 * A host job's phases: preparing its workspace, its command, collecting its results; only `prepare` when the
 * command never started.
 */
function hostPhases(start, command, end) {
    if (command === null)
        return [{ phase: 'prepare', start, end: Math.max(start, end) }];
    return [
        { phase: 'prepare', start, end: command.start },
        { phase: 'command', start: command.start, end: command.end },
        { phase: 'finish', start: command.end, end: Math.max(command.end, end) },
    ];
}
function clamp(value, low, high) {
    return Math.min(Math.max(value, low), Math.max(low, high));
}


/***/ }),

/***/ 3537:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   gj: () => (/* binding */ JobCgroup),
/* harmony export */   xy: () => (/* binding */ commandInCgroup)
/* harmony export */ });
/* unused harmony export cgroupSupport */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(8500);
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_3___default = /*#__PURE__*/__webpack_require__.n(node_timers_promises__WEBPACK_IMPORTED_MODULE_3__);




/** How long to wait for killed processes to leave their cgroup before giving up on removing it. */
const EMPTY_WAIT_MS = 5_000;
let cached;
/**
 * Finds where vmplan may create cgroups: below its own cgroup in the cgroup v2 hierarchy (Linux only), when it
 * may write there (root, or a delegated subtree such as a systemd user service).
 */
function cgroupSupport() {
    cached ??= detectSupport();
    return cached;
}
function detectSupport() {
    if (process.platform !== 'linux')
        return { available: false, reason: `${process.platform} has no cgroups` };
    let mountinfo;
    let own;
    try {
        mountinfo = (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.readFileSync)('/proc/self/mountinfo', 'utf8');
        own = (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.readFileSync)('/proc/self/cgroup', 'utf8')
            .split('\n')
            .find((line) => line.startsWith('0::'))
            ?.slice(3);
    }
    catch (error) {
        return { available: false, reason: `cannot read /proc (${error.code})` };
    }
    const mount = mountinfo
        .split('\n')
        .map((line) => line.split(' '))
        .find((fields) => fields[fields.indexOf('-') + 1] === 'cgroup2')?.[4];
    if (mount === undefined || own === undefined)
        return { available: false, reason: 'no cgroup v2 hierarchy is mounted' };
    const parent = (0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(mount, own).replace(/\/+$/, '');
    try {
        (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.accessSync)(parent, node_fs__WEBPACK_IMPORTED_MODULE_1__.constants.W_OK);
        (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.accessSync)((0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(parent, 'cgroup.procs'), node_fs__WEBPACK_IMPORTED_MODULE_1__.constants.W_OK);
    }
    catch {
        return {
            available: false,
            reason: `vmplan may not create cgroups in ${parent} (not root, not delegated)`,
        };
    }
    return { available: true, parent };
}
/**
 * A cgroup holding one host job and everything it starts — also what leaves the job's process group (setsid,
 * double forks, daemons) — so that all of it can be killed when the job ends.
 */
class JobCgroup {
    path;
    constructor(path) {
        this.path = path;
    }
    /** Makes a new, empty cgroup for a job, or says why none can be made here. */
    static create(support = cgroupSupport()) {
        if (!support.available)
            return { reason: support.reason };
        const path = (0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(support.parent, `vmplan-${process.pid}-${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomBytes)(4).toString('hex')}`);
        try {
            (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.mkdirSync)(path);
        }
        catch (error) {
            return {
                reason: `cannot create a cgroup in ${support.parent} (${error.code})`,
            };
        }
        return new JobCgroup(path);
    }
    /**
     * An existing job cgroup named in a record, to kill what a vmplan that died left in it; undefined for a path
     * that is not one vmplan makes (a record is never trusted to name any other cgroup).
     */
    static at(path) {
        const support = cgroupSupport();
        if (!support.available)
            return undefined;
        const name = path.slice(support.parent.length + 1);
        if (!path.startsWith(`${support.parent}/`) || !/^vmplan-\d+-[0-9a-f]{8}$/.test(name))
            return undefined;
        return new JobCgroup(path);
    }
    /** The file a process writes "0" to in order to move itself in (its children follow it). */
    get procsFile() {
        return (0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(this.path, 'cgroup.procs');
    }
    /** Processes in the cgroup now. */
    members() {
        try {
            return (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.readFileSync)(this.procsFile, 'utf8')
                .split('\n')
                .filter((line) => line !== '')
                .map(Number);
        }
        catch {
            return [];
        }
    }
    /**
     * SIGKILLs every process in the cgroup (`cgroup.kill`, which no process can dodge by forking; on kernels before
     * 5.14 freeze, kill each, thaw) and waits until it is empty. Returns how many there were.
     */
    async killAll() {
        const members = this.members();
        if (members.length === 0)
            return 0;
        if ((0,node_fs__WEBPACK_IMPORTED_MODULE_1__.existsSync)((0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(this.path, 'cgroup.kill'))) {
            (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.writeFileSync)((0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(this.path, 'cgroup.kill'), '1');
        }
        else {
            (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.writeFileSync)((0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(this.path, 'cgroup.freeze'), '1');
            for (const pid of this.members()) {
                try {
                    process.kill(pid, 'SIGKILL');
                }
                catch {
                    // gone already
                }
            }
            (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.writeFileSync)((0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(this.path, 'cgroup.freeze'), '0');
        }
        await this.emptied();
        return members.length;
    }
    /** SIGKILLs every process in the cgroup at once, synchronously (for a vmplan process that is exiting). */
    killNow() {
        try {
            (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.writeFileSync)((0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(this.path, 'cgroup.kill'), '1');
        }
        catch {
            for (const pid of this.members()) {
                try {
                    process.kill(pid, 'SIGKILL');
                }
                catch {
                    // gone already
                }
            }
        }
    }
    /** Kills what is left and removes the cgroup (best effort: a cgroup that will not empty is left, and said). */
    async remove() {
        if (!(0,node_fs__WEBPACK_IMPORTED_MODULE_1__.existsSync)(this.path))
            return true;
        await this.killAll();
        try {
            (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.rmdirSync)(this.path);
            return true;
        }
        catch {
            return false;
        }
    }
    async emptied() {
        const deadline = Date.now() + EMPTY_WAIT_MS;
        while (Date.now() < deadline) {
            let events = '';
            try {
                events = (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.readFileSync)((0,node_path__WEBPACK_IMPORTED_MODULE_2__.join)(this.path, 'cgroup.events'), 'utf8');
            }
            catch {
                return;
            }
            if (/^populated 0$/m.test(events))
                return;
            await (0,node_timers_promises__WEBPACK_IMPORTED_MODULE_3__.setTimeout)(10);
        }
    }
}
/**
 * The command that runs `command args` inside a cgroup: a shell moves itself in (writing "0" to cgroup.procs)
 * before it execs the command, so not even the command's first child can start outside it.
 */
function commandInCgroup(cgroup, command, args) {
    return [
        '/bin/sh',
        [
            '-c',
            'echo 0 > "$0" || { echo "vmplan: could not enter the job\'s cgroup" >&2; exit 125; }; exec "$@"',
            cgroup.procsFile,
            command,
            ...args,
        ],
    ];
}


/***/ }),

/***/ 2228:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   FV: () => (/* binding */ processGroupLeftovers),
/* harmony export */   Kf: () => (/* binding */ killRecordedProcessNow),
/* harmony export */   gi: () => (/* binding */ NODE_DIR_VARIABLE),
/* harmony export */   w4: () => (/* binding */ stopRecordedProcess)
/* harmony export */ });
/* unused harmony exports commandLineOf, belongsToRun */
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1421);
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_child_process__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var _cgroup_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(3537);
/* harmony import */ var _process_tree_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(6841);




/** A process's command line, or undefined when it is gone (or cannot be read). */
function commandLineOf(pid) {
    if (process.platform === 'linux') {
        try {
            return (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.readFileSync)(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
        }
        catch {
            return undefined;
        }
    }
    const result = (0,node_child_process__WEBPACK_IMPORTED_MODULE_0__.spawnSync)('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim() : undefined;
}
/** The variable every process vmplan starts for a node carries: the node's folder (inherited by its children). */
const NODE_DIR_VARIABLE = 'VMPLAN_NODE_DIR';
/** A process's environment as text (`NAME=value` per line), or undefined when it cannot be read. */
function environmentOf(pid) {
    if (process.platform === 'linux') {
        try {
            return (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.readFileSync)(`/proc/${pid}/environ`, 'utf8').split('\0').join('\n');
        }
        catch {
            return undefined;
        }
    }
    // macOS: ps -E appends the environment to the command.
    const result = (0,node_child_process__WEBPACK_IMPORTED_MODULE_0__.spawnSync)('ps', ['-E', '-ww', '-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    return result.status === 0 ? result.stdout.replaceAll(' ', '\n') : undefined;
}
/**
 * Whether a live process was started by vmplan for this run: its command line names the run folder (VMs, job
 * scripts), or its environment carries a node folder of the run (anything a job or an image build started).
 */
function belongsToRun(pid, runDir) {
    if (commandLineOf(pid)?.includes(runDir) === true)
        return true;
    const environment = environmentOf(pid);
    return environment?.split('\n').some((line) => line.startsWith(`${NODE_DIR_VARIABLE}=${runDir}/`)) === true;
}
/**
 * Whether the recorded process group is still the run's: its leader belongs to the run, or — when the leader is
 * gone — a live member does (a pid is never a new group's id while members of the old group live, but a group
 * of strangers can take a pid once they are all gone: never signal one without a member that proves it).
 */
function groupIsOurs(recorded, runDir) {
    if (commandLineOf(recorded.pid) !== undefined)
        return belongsToRun(recorded.pid, runDir);
    return recorded.group && (0,_process_tree_js__WEBPACK_IMPORTED_MODULE_3__/* .liveGroupMembers */ .h_)(recorded.pid).some((pid) => belongsToRun(pid, runDir));
}
/**
 * Stops what a node record says is running — only if it still belongs to the run, so a recycled pid is never
 * killed. `first` runs before any signal once ownership is proven (e.g. a VM's own stop request).
 */
async function stopRecordedProcess(recorded, runDir, options = {}) {
    const graceMs = options.graceMs ?? 2_000;
    if (commandLineOf(recorded.pid) === undefined && (0,_process_tree_js__WEBPACK_IMPORTED_MODULE_3__/* .liveGroupMembers */ .h_)(recorded.pid).length === 0)
        return 'already-gone';
    if (!groupIsOurs(recorded, runDir))
        return 'not-ours';
    await options.first?.();
    if (recorded.group)
        return (0,_process_tree_js__WEBPACK_IMPORTED_MODULE_3__/* .stopProcessGroup */ .VK)(recorded.pid, graceMs);
    try {
        process.kill(recorded.pid, 'SIGKILL');
        return 'killed';
    }
    catch {
        return 'already-gone';
    }
}
/**
 * Kills what a node record says is running, at once and synchronously (SIGKILL to its process group): for the
 * last moments of a vmplan process that is exiting and cannot wait for a graceful stop.
 */
function killRecordedProcessNow(recorded, runDir) {
    if (!groupIsOurs(recorded, runDir))
        return;
    try {
        process.kill(recorded.group ? -recorded.pid : recorded.pid, 'SIGKILL');
    }
    catch {
        // already gone
    }
}
/** How executors whose leftovers are plain process groups stop them (their ExecutorRuntime's part). */
const processGroupLeftovers = {
    async stopLeftovers(recorded, runDir) {
        await stopRecordedProcess(recorded, runDir);
        // What left the group (setsid, daemons) is still in the job's cgroup.
        if (recorded.cgroup)
            await _cgroup_js__WEBPACK_IMPORTED_MODULE_2__/* .JobCgroup */ .gj.at(recorded.cgroup)?.remove();
    },
    killLeftoversNow(recorded, runDir) {
        killRecordedProcessNow(recorded, runDir);
        if (recorded.cgroup)
            _cgroup_js__WEBPACK_IMPORTED_MODULE_2__/* .JobCgroup */ .gj.at(recorded.cgroup)?.killNow();
    },
};


/***/ }),

/***/ 6841:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   BR: () => (/* binding */ killLeftovers),
/* harmony export */   VK: () => (/* binding */ stopProcessGroup),
/* harmony export */   h_: () => (/* binding */ liveGroupMembers)
/* harmony export */ });
/* unused harmony export waitForGroupExit */
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1421);
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_child_process__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(8500);
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_timers_promises__WEBPACK_IMPORTED_MODULE_2__);



/** Live (non-zombie) process ids in a process group. Zombies are already dead; they only await reaping. */
function liveGroupMembers(pgid) {
    if (process.platform === 'linux')
        return linuxGroupMembers(pgid);
    const result = (0,node_child_process__WEBPACK_IMPORTED_MODULE_0__.spawnSync)('ps', ['-A', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' });
    if (result.status !== 0)
        return groupExists(pgid) ? [pgid] : [];
    return result.stdout
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter(([pid, group, stat]) => pid !== undefined && Number(group) === pgid && !stat?.startsWith('Z'))
        .map(([pid]) => Number(pid));
}
function linuxGroupMembers(pgid) {
    const members = [];
    for (const name of (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.readdirSync)('/proc')) {
        if (!/^\d+$/.test(name))
            continue;
        let stat;
        try {
            stat = (0,node_fs__WEBPACK_IMPORTED_MODULE_1__.readFileSync)(`/proc/${name}/stat`, 'utf8');
        }
        catch {
            continue; // exited meanwhile
        }
        // Format: pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (fields[0] !== 'Z' && Number(fields[2]) === pgid)
            members.push(Number(name));
    }
    return members;
}
function groupExists(pgid) {
    try {
        process.kill(-pgid, 0);
        return true;
    }
    catch (error) {
        return error.code === 'EPERM';
    }
}
function signalGroup(pgid, signal) {
    try {
        process.kill(-pgid, signal);
    }
    catch (error) {
        if (error.code !== 'ESRCH')
            throw error;
    }
}
/** Waits until no live process is left in the group, up to `timeoutMs`; true when the group is gone. */
async function waitForGroupExit(pgid, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (liveGroupMembers(pgid).length === 0)
            return true;
        if (Date.now() >= deadline)
            return false;
        await (0,node_timers_promises__WEBPACK_IMPORTED_MODULE_2__.setTimeout)(25);
    }
}
/**
 * Stops a whole process group: SIGTERM, up to `graceMs` for it to exit, then SIGKILL, then verifies that no
 * live process is left. 'survived' means something ignored SIGKILL (e.g. stuck in the kernel) — reported, not hidden.
 */
async function stopProcessGroup(pgid, graceMs) {
    if (liveGroupMembers(pgid).length === 0)
        return 'already-gone';
    signalGroup(pgid, 'SIGTERM');
    if (await waitForGroupExit(pgid, graceMs))
        return 'terminated';
    signalGroup(pgid, 'SIGKILL');
    return (await waitForGroupExit(pgid, 2_000)) ? 'killed' : 'survived';
}
/** Kills whatever is left of a group at once (after its leader exited: background processes of a job). */
async function killLeftovers(pgid) {
    const left = liveGroupMembers(pgid);
    if (left.length === 0)
        return 0;
    signalGroup(pgid, 'SIGKILL');
    await waitForGroupExit(pgid, 2_000);
    return left.length;
}


/***/ }),

/***/ 7969:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   B: () => (/* binding */ maskFileInPlace)
/* harmony export */ });
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_events__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8474);
/* harmony import */ var node_events__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_events__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var _mask_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(6934);




/**
 * Masks secret values in a file in place, whatever it holds: bytes are read as latin1 (one character per byte)
 * and the secrets' UTF-8 bytes are matched the same way, so every other byte comes back unchanged and binary files
 * survive. Streams in chunks, never cutting through a value. Only a regular file (never through a link) is
 * touched; the new content replaces the old with a rename. Returns true when something was masked.
 */
async function maskFileInPlace(path, secrets) {
    const masker = new _mask_js__WEBPACK_IMPORTED_MODULE_3__/* .Masker */ .G(secrets.map((secret) => Buffer.from(secret, 'utf8').toString('latin1')));
    if (masker.empty)
        return false;
    const info = (0,node_fs__WEBPACK_IMPORTED_MODULE_2__.lstatSync)(path);
    if (!info.isFile())
        return false;
    // A name of our own beside it: the folder's other names may be a guest's choice.
    const temp = Buffer.concat([
        Buffer.from(path),
        Buffer.from(`.${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomBytes)(6).toString('hex')}.vmplan-masking`),
    ]);
    const out = (0,node_fs__WEBPACK_IMPORTED_MODULE_2__.createWriteStream)(temp, { mode: info.mode & 0o777, flags: 'wx' });
    let carry = '';
    let changed = false;
    const emit = async (text) => {
        const masked = masker.mask(text);
        if (masked !== text)
            changed = true;
        if (!out.write(Buffer.from(masked, 'latin1')))
            await (0,node_events__WEBPACK_IMPORTED_MODULE_1__.once)(out, 'drain');
    };
    try {
        for await (const chunk of (0,node_fs__WEBPACK_IMPORTED_MODULE_2__.createReadStream)(path, { encoding: 'latin1', highWaterMark: 1 << 20 })) {
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
        await (0,node_events__WEBPACK_IMPORTED_MODULE_1__.once)(out, 'finish');
    }
    catch (error) {
        out.destroy();
        (0,node_fs__WEBPACK_IMPORTED_MODULE_2__.rmSync)(temp, { force: true });
        throw error;
    }
    if (changed)
        (0,node_fs__WEBPACK_IMPORTED_MODULE_2__.renameSync)(temp, path);
    else
        (0,node_fs__WEBPACK_IMPORTED_MODULE_2__.rmSync)(temp, { force: true });
    return changed;
}


/***/ }),

/***/ 6934:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   G: () => (/* binding */ Masker)
/* harmony export */ });
/* unused harmony export MASK */
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


/***/ }),

/***/ 3204:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  Wr: () => (/* binding */ collectJobOutputs)
});

// UNUSED EXPORTS: collectBudget, collectMatches

// EXTERNAL MODULE: external "node:buffer"
var external_node_buffer_ = __webpack_require__(4573);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./node_modules/picomatch/index.js
var picomatch = __webpack_require__(4006);
var picomatch_default = /*#__PURE__*/__webpack_require__.n(picomatch);
// EXTERNAL MODULE: ./src/util/bytes.ts
var bytes = __webpack_require__(1671);
// EXTERNAL MODULE: ./src/util/mask-file.ts
var mask_file = __webpack_require__(7969);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
;// CONCATENATED MODULE: ./src/workspace/sparse-copy.ts


const CHUNK = 1024 * 1024;
const ZEROS = Buffer.alloc(CHUNK);
/**
 * Copies a regular file without writing its holes out: cloned copy-on-write where the filesystem can (a clone
 * keeps the holes), else read in 1 MiB chunks of which only those holding a non-zero byte are written, the
 * length set at the end. So a sparse file stays sparse, and a file of zeros takes no space. Yields between chunks.
 */
async function copySparse(from, to) {
    try {
        await (0,promises_.copyFile)(from, to, external_node_fs_.constants.COPYFILE_FICLONE_FORCE);
        return;
    }
    catch {
        // no clones here: copy the data, skipping zeros
    }
    const source = await (0,promises_.open)(from, external_node_fs_.constants.O_RDONLY | external_node_fs_.constants.O_NOFOLLOW);
    try {
        const target = await (0,promises_.open)(to, 'w');
        try {
            const buffer = Buffer.alloc(CHUNK);
            let position = 0;
            for (;;) {
                const { bytesRead } = await source.read(buffer, 0, CHUNK, position);
                if (bytesRead === 0)
                    break;
                const chunk = buffer.subarray(0, bytesRead);
                if (chunk.compare(ZEROS, 0, bytesRead) !== 0)
                    await target.write(chunk, 0, bytesRead, position);
                position += bytesRead;
            }
            await target.truncate(position);
        }
        finally {
            await target.close();
        }
    }
    finally {
        await source.close();
    }
}

;// CONCATENATED MODULE: ./src/workspace/collect.ts







/** A budget for one job's collection. */
function collectBudget(bytes, files, names) {
    return {
        bytes,
        files,
        linked: new Map(),
        names: names ?? { bytes: 'limits.artifact-bytes', files: 'limits.artifact-files' },
    };
}
/** Why a file is not brought back under the budget (and takes its share of it when it is); undefined: bring it. */
function charge(budget, info, relative) {
    if (info.nlink > 1) {
        const first = budget.linked.get(`${info.dev}:${info.ino}`);
        if (first !== undefined)
            return `it is a hard link to ${JSON.stringify(first)}, brought back once`;
    }
    if (budget.files <= 0)
        return `the job brought back as many files as ${budget.names.files} allows`;
    // What the file occupies: its data, not the holes of a sparse file (the copy keeps them holes).
    const occupied = Math.min(info.size, info.blocks * 512);
    if (info.size > budget.bytes || occupied > budget.bytes)
        return `it is ${(0,bytes/* formatBytes */.z)(info.size)} (${(0,bytes/* formatBytes */.z)(occupied)} on disk), over what ${budget.names.bytes} leaves (${(0,bytes/* formatBytes */.z)(budget.bytes)})`;
    budget.files -= 1;
    budget.bytes -= occupied;
    if (info.nlink > 1)
        budget.linked.set(`${info.dev}:${info.ino}`, relative);
    return undefined;
}
/** How many left-behind entries of one kind the job's log names. */
const MAX_NOTES = 50;
/** Why an entry whose name is not UTF-8 is left behind: as text its name would name no entry. */
const NOT_UTF8 = 'its name is not UTF-8 (only UTF-8 names are brought back)';
/** An entry's name as text, or undefined when its bytes are not UTF-8. */
function textName(entry) {
    return (0,external_node_buffer_.isUtf8)(entry.name) ? entry.name.toString('utf8') : undefined;
}
/** Notes an entry left behind for its name, once. */
function refuseName(result, path) {
    if (!result.refused.some((entry) => entry.path === path))
        result.refused.push({ path, why: NOT_UTF8 });
}
/** What an entry is, in words, when it is not a folder (where one was expected) or not a regular file. */
function specialKind(entry) {
    if (entry.isFile())
        return 'a file, not a folder';
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
 * files: permission bits only (never setuid, setgid or sticky), with the given secret values masked, holes kept.
 * With a budget, files past its bytes or count, and second links to one file, are left behind and listed.
 */
async function collectMatches(root, globs, destination, secrets = [], budget) {
    const result = { paths: [], unmatched: [], skipped: [], refused: [] };
    const limit = budget ?? collectBudget(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const rootInfo = await (0,promises_.lstat)(root).catch(() => undefined);
    if (rootInfo === undefined || !rootInfo.isDirectory()) {
        if (rootInfo !== undefined)
            result.skipped.push({ path: '.', kind: specialKind(rootInfo) });
        result.unmatched.push(...globs);
        return result;
    }
    for (const glob of globs) {
        const pattern = glob.replace(/\/+$/, '');
        const matches = picomatch_default()(pattern, { dot: true });
        const base = picomatch_default().scan(pattern).base;
        const found = [];
        const foundPaths = [];
        let badNames = false;
        // Only real folders are entered (readdir's types are lstat's), from the root down. Names are read as bytes: a
        // guest's name that is not UTF-8 is left behind, named, instead of failing the whole collection.
        const walk = async (relative) => {
            const entries = await (0,promises_.readdir)((0,external_node_path_.join)(root, relative), { withFileTypes: true, encoding: 'buffer' });
            for (const entry of entries) {
                const name = textName(entry);
                const text = name ?? entry.name.toString('utf8');
                const path = relative === '' ? text : `${relative}/${text}`;
                const onTheWay = base === '' || base === path || base.startsWith(`${path}/`) || path.startsWith(`${base}/`);
                if (!onTheWay)
                    continue;
                if (name === undefined) {
                    if (matches(path)) {
                        refuseName(result, path);
                        badNames = true;
                    }
                }
                else if (matches(path)) {
                    found.push(entry);
                    foundPaths.push(path);
                }
                else if (entry.isDirectory())
                    await walk(path);
            }
        };
        await walk('');
        if (found.length === 0 && !badNames)
            result.unmatched.push(glob);
        for (const [index, relative] of foundPaths.entries()) {
            // Already brought (or left behind), itself or in a folder brought whole: once is enough.
            const covered = (path) => path === relative || relative.startsWith(`${path}/`);
            if (result.paths.some(covered) || result.skipped.some((entry) => entry.path === relative))
                continue;
            if (await copyEntry(root, relative, found[index], { destination, secrets, budget: limit }, result))
                result.paths.push(relative);
        }
    }
    return result;
}
/** Copies one matched entry (a folder: everything in it) as regular files and folders only; false if skipped. */
async function copyEntry(root, relative, entry, into, result) {
    const { destination } = into;
    if (entry.isDirectory()) {
        await (0,promises_.mkdir)((0,external_node_path_.join)(destination, relative), { recursive: true });
        for (const child of await (0,promises_.readdir)((0,external_node_path_.join)(root, relative), { withFileTypes: true, encoding: 'buffer' })) {
            const name = textName(child);
            if (name === undefined)
                refuseName(result, `${relative}/${child.name.toString('utf8')}`);
            else
                await copyEntry(root, `${relative}/${name}`, child, into, result);
        }
        return true;
    }
    if (!entry.isFile()) {
        result.skipped.push({ path: relative, kind: specialKind(entry) });
        return false;
    }
    const from = (0,external_node_path_.join)(root, relative);
    const to = (0,external_node_path_.join)(destination, relative);
    await (0,promises_.mkdir)((0,external_node_path_.dirname)(to), { recursive: true });
    // Checked again right before the copy: the entry must still be a regular file, not a link put in its place.
    const info = await (0,promises_.lstat)(from);
    if (!info.isFile()) {
        result.skipped.push({ path: relative, kind: specialKind(info) });
        return false;
    }
    const refused = charge(into.budget, info, relative);
    if (refused !== undefined) {
        result.refused.push({ path: relative, why: refused });
        return false;
    }
    await copySparse(from, to);
    await (0,promises_.chmod)(to, info.mode & 0o777);
    // Reports feed annotations, check runs and results.json, and both are uploaded: no secret value stays in them.
    await (0,mask_file/* maskFileInPlace */.B)(to, into.secrets);
    return true;
}
/**
 * Brings what a job declared into its folder: what its `artifacts` globs match (under `roots.artifacts`) into
 * artifacts/, what its report globs match (under `roots.reports`) into reports/, and (given only for a job that
 * passed) what its `outputs` globs match into outputs/. Returns notes for the
 * log: patterns that matched nothing, and entries left behind (names quoted, so they stay on one line).
 */
async function collectJobOutputs(roots, globs, jobDir, secrets, limits = {
    artifactBytes: Number.MAX_SAFE_INTEGER,
    artifactFiles: Number.MAX_SAFE_INTEGER,
    reportFiles: Number.MAX_SAFE_INTEGER,
}) {
    const notes = [];
    const shared = collectBudget(limits.artifactBytes, limits.artifactFiles);
    for (const [patterns, folder, what] of [
        [globs.artifacts, 'artifacts', 'artifact'],
        [globs.reports, 'reports', 'report'],
        [globs.outputs ?? [], 'outputs', 'output'],
    ]) {
        if (patterns.length === 0)
            continue;
        // Outputs are build products for the jobs of this run (never uploaded): masking would corrupt them.
        const root = roots[folder] ?? roots.artifacts;
        // Reports are read after the job: their count has a cap of its own, within the job's.
        const budget = folder === 'reports'
            ? {
                ...shared,
                files: Math.min(shared.files, limits.reportFiles),
                names: { ...shared.names, files: 'limits.report-files' },
            }
            : shared;
        const filesBefore = budget.files;
        const collected = await collectMatches(root, patterns, (0,external_node_path_.join)(jobDir, folder), folder === 'outputs' ? [] : secrets, budget);
        if (budget !== shared) {
            shared.files -= filesBefore - budget.files;
            shared.bytes = budget.bytes;
        }
        if (collected.unmatched.length > 0)
            notes.push(`vmplan: no ${what} matched ${collected.unmatched.map((glob) => JSON.stringify(glob)).join(', ')}`);
        const left = [
            ...collected.skipped.map((skipped) => `vmplan: left ${JSON.stringify(skipped.path)} behind: it is ${skipped.kind}, and only regular files and folders are brought back`),
            ...collected.refused.map((refused) => `vmplan: left ${what} ${JSON.stringify(refused.path)} behind: ${refused.why}`),
        ];
        // A hostile job can leave millions: the log names the first ones and counts the rest.
        notes.push(...left.slice(0, MAX_NOTES));
        if (left.length > MAX_NOTES)
            notes.push(`vmplan: left ${left.length - MAX_NOTES} more ${what} entries behind (not listed)`);
    }
    return notes;
}


/***/ }),

/***/ 5608:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   v: () => (/* binding */ placeInputs)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_1__);


const SLASH = Buffer.from('/');
/**
 * Puts the outputs of the jobs a job needs into `target` (its workspace, or the folder a VM lays over its snapshot)
 * at the same relative paths, read-only (no write bit on the files), copy-on-write where the filesystem can.
 * Later inputs win over earlier ones and over the workspace's own files. The target is the repository's (hostile
 * on a pull request): no symlink, file or special entry in the way is followed or kept — it is replaced by a real
 * folder or file.
 */
async function placeInputs(inputs, target) {
    const paths = new Set();
    for (const input of inputs) {
        for (const name of await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readdir)(input.folder, { encoding: 'buffer' })) {
            await place(Buffer.from(input.folder), Buffer.from(target), name);
            paths.add(name.toString('utf8'));
        }
    }
    return { paths: [...paths].sort() };
}
/**
 * Places one entry (a folder: all it holds), never through what is in the way at the destination. Paths are bytes:
 * a name a guest wrote into its workspace changes need not be UTF-8 (as text it would name no file).
 */
async function place(source, target, relative) {
    const from = Buffer.concat([source, SLASH, relative]);
    const to = Buffer.concat([target, SLASH, relative]);
    const info = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.lstat)(from);
    const existing = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.lstat)(to).catch(() => undefined);
    if (info.isDirectory()) {
        if (existing !== undefined && !existing.isDirectory())
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rm)(to, { force: true });
        if (existing === undefined || !existing.isDirectory())
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.mkdir)(to);
        else
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.chmod)(to, 0o755);
        for (const child of await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.readdir)(from, { encoding: 'buffer' }))
            await place(source, target, Buffer.concat([relative, SLASH, child]));
        // Folders stay writable by their owner: a runner that is not root must still be able to delete the workspace
        // (a file needs its folder's write bit to go). The files in them are what is read-only.
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.chmod)(to, 0o755);
        return;
    }
    // Outputs hold regular files and folders only (collected so); anything else is not placed.
    if (!info.isFile())
        return;
    if (existing !== undefined)
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.rm)(to, { recursive: existing.isDirectory(), force: true });
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.copyFile)(from, to, node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.COPYFILE_FICLONE | node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.COPYFILE_EXCL);
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.chmod)(to, info.mode & 0o555);
}


/***/ })

};

//# sourceMappingURL=315.index.js.map