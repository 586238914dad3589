export const id = 151;
export const ids = [151];
export const modules = {

/***/ 6151:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  QemuExecutor: () => (/* binding */ QemuExecutor),
  runtime: () => (/* binding */ runtime)
});

// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __webpack_require__(1421);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: ./src/plan/image-users.ts
var image_users = __webpack_require__(3423);
// EXTERNAL MODULE: ./src/process/ownership.ts
var ownership = __webpack_require__(2228);
// EXTERNAL MODULE: ./src/util/short-socket-dir.ts
var short_socket_dir = __webpack_require__(7728);
// EXTERNAL MODULE: ./src/executors/vm/vm-job.ts + 5 modules
var vm_job = __webpack_require__(4485);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./src/util/atomic-write.ts
var atomic_write = __webpack_require__(5105);
;// CONCATENATED MODULE: ./src/executors/qemu/args.ts

/** The QEMU binary for a guest architecture. */
function qemuBinary(arch) {
    return arch === 'arm64' ? 'qemu-system-aarch64' : 'qemu-system-x86_64';
}
/** QEMU option values escape a comma by doubling it. */
function value(text) {
    return text.replaceAll(',', ',,');
}
/**
 * The QEMU command line for a VM spec: the same devices vfkit gives a guest as far as QEMU has them — a virtio
 * console on hvc0 written to a file, virtio-rng, virtio-blk, shares with the same tags, NAT networking — with no
 * graphics and no reboot (a guest power-off or panic ends QEMU).
 */
function qemuArgs(spec, options) {
    const machine = spec.arch === 'arm64' ? 'virt' : 'q35';
    const memoryBackend = options.shares === 'virtiofs';
    const args = [
        '-M',
        memoryBackend ? `${machine},memory-backend=mem` : machine,
        '-accel',
        options.accel,
        ...cpuArgs(spec.arch, options.accel),
        '-m',
        `${spec.memoryMiB}M`,
        '-smp',
        String(spec.cpus),
        '-nodefaults',
        '-no-user-config',
        '-display',
        'none',
        '-no-reboot',
        '-kernel',
        spec.kernel,
        '-initrd',
        spec.initrd,
        '-append',
        spec.cmdline,
    ];
    if (memoryBackend)
        args.push('-object', `memory-backend-memfd,id=mem,size=${spec.memoryMiB}M,share=on`);
    args.push('-device', 'virtio-serial-pci', '-chardev', `file,id=console0,path=${value(spec.consoleLog)}`);
    args.push('-device', 'virtconsole,chardev=console0', '-device', 'virtio-rng-pci');
    if (spec.disk !== null) {
        args.push('-drive', `file=${value(spec.disk)},format=raw,if=none,id=disk0`, '-device', 'virtio-blk-pci,drive=disk0');
    }
    spec.shares.forEach((share, index) => {
        args.push(...shareArgs(share, index, options));
    });
    if (spec.network)
        args.push('-netdev', 'user,id=net0', '-device', 'virtio-net-pci,netdev=net0');
    args.push('-pidfile', spec.pidFile);
    return args;
}
function cpuArgs(arch, accel) {
    if (accel === 'kvm')
        return ['-cpu', 'host'];
    // cortex-a57 emulates several times faster than -cpu max (measured: 4 s vs 14-18 s to boot).
    return arch === 'arm64' ? ['-cpu', 'cortex-a57'] : [];
}
function shareArgs(share, index, options) {
    if (options.shares === 'virtiofs') {
        const socket = options.virtiofsSockets?.[share.tag];
        if (socket === undefined)
            throw new errors/* InternalError */.Gd(`no virtiofsd socket for share ${share.tag}`);
        return [
            '-chardev',
            `socket,id=fs${index},path=${value(socket)}`,
            '-device',
            `vhost-user-fs-pci,chardev=fs${index},tag=${value(share.tag)}`,
        ];
    }
    return [
        '-fsdev',
        `local,id=fs${index},path=${value(share.hostPath)},security_model=none${share.readOnly ? ',readonly=on' : ''}`,
        '-device',
        `virtio-9p-pci,fsdev=fs${index},mount_tag=${value(share.tag)}`,
    ];
}

;// CONCATENATED MODULE: ./src/executors/qemu/accel.ts






/** The guest architecture this host runs natively. */
function hostArch() {
    return process.arch === 'arm64' ? 'arm64' : process.arch === 'x64' ? 'amd64' : undefined;
}
/** Why KVM cannot be used, from what the machine says without booting anything; undefined when it may work. */
function kvmBlocker(arch) {
    if (hostArch() !== arch)
        return `the guest is ${arch} and the host ${process.arch}: emulated (TCG)`;
    try {
        (0,external_node_fs_.accessSync)('/dev/kvm', external_node_fs_.constants.R_OK | external_node_fs_.constants.W_OK);
    }
    catch {
        return 'no usable /dev/kvm';
    }
    if (arch === 'amd64') {
        const cpuinfo = (0,external_node_fs_.readFileSync)('/proc/cpuinfo', 'utf8');
        // /dev/kvm can exist without hardware virtualization (e.g. a paravirtual KVM in a cloud VM): check the flags.
        if (!/^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo))
            return 'the CPU flags have no vmx/svm';
    }
    return undefined;
}
/**
 * Boots the kernel under KVM with an init that does not exist: a working KVM panics and exits in about a
 * second; a broken one (nested virtualization gone wrong) crawls and misses the deadline.
 */
async function kvmProbeBoot(arch, kernel, initrd, deadlineMs = 20_000) {
    const args = qemuArgs({
        name: 'kvm-probe',
        arch,
        cpus: 1,
        memoryMiB: 256,
        kernel,
        initrd,
        cmdline: 'panic=-1 rdinit=/vmplan-kvm-probe-no-such-init',
        disk: null,
        shares: [],
        consoleLog: '/dev/null',
        restSocket: '',
        pidFile: (0,external_node_path_.join)((0,external_node_os_.tmpdir)(), `vmplan-kvm-probe-${process.pid}.pid`),
        network: false,
    }, { accel: 'kvm', shares: '9p' });
    const child = (0,external_node_child_process_.spawn)(qemuBinary(arch), args, { stdio: 'ignore' });
    const exited = new Promise((resolve) => {
        child.once('exit', (code) => resolve(code));
        child.once('error', () => resolve('no-start'));
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    const started = Date.now();
    const code = await exited;
    clearTimeout(timer);
    // QEMU that cannot start says nothing about KVM: no verdict (and nothing to cache).
    if (code === 'no-start')
        return undefined;
    return code === 0 && Date.now() - started < deadlineMs;
}
/** The accelerator for a guest: KVM when it is present and a probe boot proves it works (cached), else TCG. */
async function chooseAccel(arch, probe, cacheDir, probeBoot = kvmProbeBoot, blockerOf = kvmBlocker) {
    const blocker = blockerOf(arch);
    if (blocker !== undefined)
        return { accel: 'tcg', reason: blocker };
    const cacheFile = (0,external_node_path_.join)(cacheDir, 'qemu-accel.json');
    const key = `${arch}:${(0,external_node_os_.release)()}`;
    let cache = {};
    try {
        cache = JSON.parse((0,external_node_fs_.readFileSync)(cacheFile, 'utf8'));
    }
    catch {
        // no cache yet
    }
    if (cache[key] === undefined) {
        const verdict = await probeBoot(arch, probe.kernel, probe.initrd);
        if (verdict === undefined)
            return { accel: 'tcg', reason: 'the KVM probe boot could not start QEMU' };
        cache[key] = verdict;
        (0,atomic_write/* writeJsonAtomic */.q)(cacheFile, cache);
    }
    return cache[key]
        ? { accel: 'kvm', reason: 'KVM probe boot succeeded' }
        : { accel: 'tcg', reason: `KVM is present but a probe boot failed (cached in ${cacheFile})` };
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:timers/promises"
var promises_ = __webpack_require__(8500);
;// CONCATENATED MODULE: ./src/executors/qemu/vm.ts






const VIRTIOFSD_CANDIDATES = ['/usr/libexec/virtiofsd', '/usr/lib/qemu/virtiofsd', '/usr/lib/virtiofsd'];
/** Finds a usable virtiofsd, or undefined (QEMU then shares folders over 9p). */
function findVirtiofsd() {
    for (const path of VIRTIOFSD_CANDIDATES) {
        if (!(0,external_node_fs_.existsSync)(path))
            continue;
        const version = (0,external_node_child_process_.spawnSync)(path, ['--version'], { encoding: 'utf8' });
        const text = `${version.stdout}${version.stderr}`;
        if (/QEMU|version 7\.|version 8\./.test(text)) {
            // The C daemon must run as root (it chroots into the shared folder).
            if (process.getuid?.() === 0)
                return { path, flavour: 'c' };
            continue;
        }
        if (version.status === 0)
            return { path, flavour: 'rust' };
    }
    return undefined;
}
/** The command line of one virtiofsd serving `folder` on `socket`. */
function virtiofsdArgs(daemon, socket, folder) {
    if (daemon.flavour === 'c') {
        return [
            `--socket-path=${socket}`,
            '-o',
            `source=${folder}`,
            '-o',
            'cache=auto',
            '-o',
            'sandbox=chroot',
            '-o',
            'log_level=warn',
        ];
    }
    const sandbox = process.getuid?.() === 0 ? 'chroot' : 'none';
    return [
        `--socket-path=${socket}`,
        `--shared-dir=${folder}`,
        '--cache=auto',
        `--sandbox=${sandbox}`,
        '--log-level=warn',
    ];
}
/**
 * Boots a VM spec with QEMU: one virtiofsd per share when available (the same virtiofs mounts the guest does
 * under vfkit), else 9p. QEMU exits when the guest powers off (or panics, with panic=-1 and -no-reboot).
 */
async function startQemuVm(spec, options) {
    const ownGroup = options.ownGroup ?? true;
    const helpers = [];
    const sockets = {};
    let stderr = '';
    const keepTail = (chunk) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-8192);
    };
    const stopHelpers = async () => {
        for (const helper of helpers)
            if (helper.exitCode === null && helper.signalCode === null)
                helper.kill('SIGKILL');
        await Promise.all(helpers.map((helper) => helper.exitCode === null && helper.signalCode === null ? once(helper) : undefined));
        for (const socket of Object.values(sockets))
            (0,external_node_fs_.rmSync)(socket, { force: true });
    };
    if (options.virtiofsd !== undefined) {
        for (const share of spec.shares) {
            const socket = (0,external_node_path_.join)(options.socketDir, `${(0,external_node_crypto_.randomBytes)(6).toString('hex')}-${share.tag}.vfs.sock`);
            (0,external_node_fs_.rmSync)(socket, { force: true });
            sockets[share.tag] = socket;
            const helper = (0,external_node_child_process_.spawn)(options.virtiofsd.path, virtiofsdArgs(options.virtiofsd, socket, share.hostPath), {
                stdio: ['ignore', 'pipe', 'pipe'],
            });
            // virtiofsd is chatty even at warn level; keep its last words for errors only.
            helper.stdout?.resume();
            helper.stderr?.on('data', keepTail);
            helpers.push(helper);
        }
        const ready = await waitFor(() => Object.values(sockets).every((socket) => (0,external_node_fs_.existsSync)(socket)), 5_000);
        if (!ready) {
            await stopHelpers();
            throw new Error(`virtiofsd did not start within 5 s (${stderr.trim().split('\n').pop() ?? 'no message'}); set VMPLAN_QEMU_SHARES=9p to share folders over 9p instead`);
        }
    }
    const args = qemuArgs(spec, {
        accel: options.accel,
        shares: options.virtiofsd === undefined ? '9p' : 'virtiofs',
        virtiofsSockets: sockets,
    });
    const binary = qemuBinary(spec.arch);
    const qemu = (0,external_node_child_process_.spawn)(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: ownGroup });
    qemu.stdout?.pipe(options.output.stream());
    qemu.stderr?.on('data', keepTail);
    qemu.stderr?.pipe(options.output.stream());
    const spawnError = await new Promise((resolve) => {
        qemu.once('spawn', () => resolve(undefined));
        qemu.once('error', resolve);
    });
    if (spawnError !== undefined) {
        await stopHelpers();
        throw new Error(`cannot start ${binary}: ${spawnError.message}`);
    }
    const exited = new Promise((resolve) => {
        qemu.once('exit', (code, signal) => {
            // virtiofsd exits when QEMU disconnects: give it a moment, then make sure of it (9p has no helpers).
            void (helpers.length === 0 ? Promise.resolve() : (0,promises_.setTimeout)(500).then(stopHelpers)).then(() => resolve({ code, signal }));
        });
    });
    let stopping;
    return {
        qemu,
        pid: qemu.pid,
        exited,
        command: [binary, ...args],
        stderrTail: () => stderr,
        stop(graceMs) {
            stopping ??= (async () => {
                if (qemu.exitCode === null && qemu.signalCode === null)
                    qemu.kill('SIGTERM');
                const done = await Promise.race([exited.then(() => true), (0,promises_.setTimeout)(graceMs).then(() => false)]);
                if (!done) {
                    try {
                        if (ownGroup)
                            process.kill(-qemu.pid, 'SIGKILL');
                        else
                            qemu.kill('SIGKILL');
                    }
                    catch {
                        // already gone
                    }
                }
                await exited;
            })();
            return stopping;
        },
    };
}
function once(child) {
    return new Promise((resolve) => child.once('exit', () => resolve()));
}
async function waitFor(condition, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (condition())
            return true;
        await (0,promises_.setTimeout)(20);
    }
    return condition();
}

;// CONCATENATED MODULE: ./src/executors/qemu/executor.ts









/** Package that provides each QEMU binary on Debian/Ubuntu, for error messages. */
const QEMU_PACKAGES = { arm64: 'qemu-system-arm', amd64: 'qemu-system-x86' };
/**
 * Runs jobs in QEMU VMs on Linux runners: the same guest protocol as vfkit, KVM when a probe boot shows it
 * works, TCG emulation otherwise; shares over virtiofs (virtiofsd) or 9p.
 */
class QemuExecutor {
    options;
    name = 'qemu';
    writableFolders = new Map();
    constructor(options) {
        this.options = options;
    }
    async preflight(plan) {
        const archs = new Set(plan.nodes.flatMap((node) => node.kind === 'prepare' && (0,image_users/* executorsUsing */.T)(plan, node).includes('qemu') ? [node.arch] : []));
        const missing = [...archs].filter((arch) => (0,external_node_child_process_.spawnSync)(qemuBinary(arch), ['--version'], { stdio: 'ignore' }).status !== 0);
        if (missing.length > 0) {
            throw new errors/* InputError */.dz(missing.map((arch) => ({
                message: `${qemuBinary(arch)} is not installed (needed for ${arch} guests): apt-get install ${QEMU_PACKAGES[arch]}`,
            })));
        }
    }
    /** The accelerator per guest architecture, decided once per run (parallel first jobs share one probe). */
    accels = new Map();
    /** virtiofsd, looked up once (it runs `--version` on each candidate). */
    virtiofsd;
    async runJob(context) {
        const socketDir = (0,short_socket_dir/* shortSocketDir */.B)();
        const cacheDir = this.options.cacheDir;
        // VMPLAN_QEMU_SHARES=9p: 9p even where virtiofsd exists (a broken virtiofsd, or to compare the two).
        this.virtiofsd ??= { found: process.env.VMPLAN_QEMU_SHARES === '9p' ? undefined : findVirtiofsd() };
        const virtiofsd = this.virtiofsd.found;
        const accels = this.accels;
        const launcher = {
            name: 'qemu',
            restControlled: false,
            async launch(spec, log) {
                if (!accels.has(spec.arch))
                    accels.set(spec.arch, chooseAccel(spec.arch, spec, cacheDir));
                const { accel, reason } = await accels.get(spec.arch);
                await log.note(`vmplan: ${spec.arch} guest with ${accel.toUpperCase()} (${reason}); shares over ${virtiofsd === undefined ? '9p' : 'virtiofs'}`);
                const vm = await startQemuVm(spec, {
                    accel,
                    virtiofsd,
                    socketDir,
                    output: { stream: () => log.input() },
                });
                await log.note(`vmplan: ${vm.command.join(' ')}`);
                return vm;
            },
            failureMessage(exit, stderrTail) {
                const line = stderrTail
                    .trim()
                    .split('\n')
                    .filter((text) => text.startsWith('qemu-system'))
                    .pop();
                return (line ?? `QEMU exited with ${exit.code === null ? `signal ${exit.signal}` : `code ${exit.code}`}`);
            },
        };
        return (0,vm_job/* runVmJob */.q)(context, launcher, {
            socketDir,
            workspaceMode: context.plan.workspace.mode,
            writableFolders: this.writableFolders,
            keepFailedDisks: this.options.keepFailedDisks === true,
        });
    }
}
/** The qemu executor's runtime (see ./descriptor.ts). */
const runtime = {
    create: (settings) => new QemuExecutor({
        cacheDir: settings.cacheDir,
        keepFailedDisks: settings.options['keep-failed-disks'] === true,
    }),
    ...ownership/* processGroupLeftovers */.FV,
};


/***/ }),

/***/ 4485:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  q: () => (/* binding */ runVmJob)
});

// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __webpack_require__(1421);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:events"
var external_node_events_ = __webpack_require__(6093);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: external "node:readline"
var external_node_readline_ = __webpack_require__(481);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: ./src/workspace/copy-tree.ts + 1 modules
var copy_tree = __webpack_require__(7919);
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
    if ((0,copy_tree/* hasGnuCp */.U)()) {
        const result = (0,external_node_child_process_.spawnSync)('cp', ['--sparse=always', '--', source, target], { encoding: 'utf8' });
        if (result.status === 0)
            return 'sparse-copy';
    }
    await (0,promises_.copyFile)(source, target);
    return 'copy';
}

// EXTERNAL MODULE: ./src/workspace/collect.ts
var collect = __webpack_require__(8479);
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
/** Writes the job's guest folder (the vmplan-job share): job.env, env, secrets.env (0600), command.sh. */
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
        VMPLAN_COLLECT_REPORTS: Object.values(node.reports).flat().map(globToFindPattern).join('\n'),
        // One "name path" per line: share vmplan-cache-<name> goes at path.
        VMPLAN_CACHES: node.caches.map((cache) => `${cache.name} ${cache.guestPath}`).join('\n'),
    });
    (0,external_node_fs_.writeFileSync)((0,external_node_path_.join)(folder, 'job.env'), jobEnv);
    (0,external_node_fs_.writeFileSync)((0,external_node_path_.join)(folder, 'env'), envFileText({ ...node.env, VMPLAN_JOB: node.job }));
    (0,external_node_fs_.writeFileSync)((0,external_node_path_.join)(folder, 'command.sh'), `${node.command}\n`);
    const secretsFile = (0,external_node_path_.join)(folder, 'secrets.env');
    (0,external_node_fs_.writeFileSync)(secretsFile, envFileText(secrets), { mode: 0o600 });
    (0,external_node_fs_.chmodSync)(secretsFile, 0o600);
}

// EXTERNAL MODULE: ./node_modules/zod/v4/classic/schemas.js + 6 modules
var schemas = __webpack_require__(6921);
;// CONCATENATED MODULE: ./src/executors/vm/guest-result.ts


/** Largest result.json the host reads: it is a few hundred bytes when honest. */
const MAX_RESULT_BYTES = 64 * 1024;
/** `result.json` as the guest agent writes it (docs/guest-protocol.md). Untrusted: validated strictly. */
const GuestResultSchema = schemas/* strictObject */.rej({
    version: schemas/* literal */.euz(1),
    status: schemas/* enum */.k5n(['passed', 'failed', 'timed_out', 'error']),
    exitCode: schemas/* number */.aig().int().min(0).max(255).nullable(),
    startedAt: schemas/* string */.YjP().max(64).nullable(),
    finishedAt: schemas/* string */.YjP().max(64),
    message: schemas/* string */.YjP().max(4096).nullable(),
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

// EXTERNAL MODULE: external "node:timers/promises"
var external_node_timers_promises_ = __webpack_require__(8500);
;// CONCATENATED MODULE: ./src/executors/vm/tail-file.ts


/** How often a growing file is polled: live enough for a human, cheap for the host. */
const POLL_MS = 100;
const CHUNK = 256 * 1024;
/**
 * Follows a file a guest writes (guest.log on the job share) into a stream, until `stop` resolves; then reads
 * what is left and ends the stream. Never follows a symlink (the guest controls that folder).
 */
async function followFile(path, into, stop) {
    let offset = 0;
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
                const read = (0,external_node_fs_.readSync)(fd, buffer, 0, CHUNK, offset);
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

;// CONCATENATED MODULE: ./src/executors/vm/vm-spec.ts
/** Share tags of the guest protocol (docs/guest-protocol.md). */
const SHARE_TAGS = { job: 'vmplan-job', work: 'vmplan-work' };
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
        cpus: node.cpus ?? 2,
        memoryMiB: node.memory ?? 2048,
        kernel: image.kernel,
        initrd: image.initrd,
        cmdline: [BASE_CMDLINE, image.cmdline ?? ''].join(' ').trim(),
        disk: input.disk,
        shares: [
            { tag: SHARE_TAGS.job, hostPath: input.jobShare, readOnly: false },
            { tag: SHARE_TAGS.work, hostPath: input.workShare, readOnly: !input.workShareWritable },
            ...(input.caches ?? []).map((cache) => ({
                tag: `${CACHE_TAG_PREFIX}${cache.name}`,
                hostPath: cache.hostPath,
                readOnly: false,
            })),
        ],
        consoleLog: input.consoleLog,
        restSocket: input.restSocket,
        pidFile: input.pidFile,
        network: true,
    };
}

;// CONCATENATED MODULE: ./src/executors/vm/vm-job.ts












/**
 * Runs one job in a throw-away VM: writes the guest files (job share), gives the VM its workspace (the run's
 * snapshot for an overlay, or a per-job copy) and a clone of the root disk, boots it, streams guest.log, stops
 * it on timeout or cancellation, then reads the untrusted result.json and brings artifacts back.
 */
async function runVmJob(context, launcher, settings) {
    const { node, jobDir, log, image } = context;
    if (image === undefined)
        return { status: 'failed', exitCode: null, message: `image "${node.image}" was not prepared` };
    const guestDir = (0,external_node_path_.join)(jobDir, 'guest');
    const socket = (0,external_node_path_.join)(settings.socketDir, `${(0,external_node_crypto_.randomBytes)(6).toString('hex')}.sock`);
    const pidFile = (0,external_node_path_.join)(jobDir, `${launcher.name}.pid`);
    const consoleLog = (0,external_node_path_.join)(jobDir, 'console.log');
    let disk = null;
    let passed = false;
    writeGuestFiles(guestDir, { node, timeoutSeconds: Math.ceil(node.timeoutMinutes * 60), workspaceMode: settings.workspaceMode }, context.secrets);
    try {
        let workShare = context.workspace.snapshotDir;
        if (settings.workspaceMode === 'copy') {
            workShare = (0,external_node_path_.join)(jobDir, 'workspace');
            const copy = await context.workspace.jobCopy(workShare);
            await log.note(`vmplan: workspace copy ready in ${copy.ms} ms (${copy.method})`);
        }
        await ensureGuestWritable(workShare, settings.writableFolders);
        if (image.disk !== null) {
            disk = (0,external_node_path_.join)(jobDir, 'disk.img');
            const method = await cloneFile(image.disk, disk);
            await log.note(`vmplan: root disk ready (${method})`);
        }
        const caches = node.caches.map((cache) => ({
            name: cache.name,
            hostPath: (0,external_node_path_.join)(context.cacheDir, 'shared', cache.name),
        }));
        for (const cache of caches)
            prepareCacheFolder(cache.hostPath);
        const spec = buildVmSpec({
            node,
            image,
            caches,
            jobShare: guestDir,
            workShare,
            workShareWritable: settings.workspaceMode === 'copy',
            disk,
            consoleLog,
            restSocket: socket,
            pidFile,
        });
        (0,external_node_fs_.rmSync)(socket, { force: true });
        if (context.signal.aborted)
            return { status: 'failed', exitCode: null, message: 'stopped before the VM started' };
        const vm = await launcher.launch(spec, log);
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
            : followFile((0,external_node_path_.join)(guestDir, 'guest.log'), context.guestLog.input(), vm.exited);
        const exit = await vm.exited;
        context.signal.removeEventListener('abort', onAbort);
        await stopping;
        await following;
        await maskFileInPlace(consoleLog, log);
        await bringBack(context, guestDir);
        if (context.signal.aborted)
            return { status: 'failed', exitCode: null, message: 'stopped' };
        if (exit.code !== 0) {
            return { status: 'failed', exitCode: null, message: launcher.failureMessage(exit, vm.stderrTail()) };
        }
        const outcome = outcomeFromResult((0,external_node_path_.join)(guestDir, 'result.json'), log);
        passed = outcome.status === 'passed';
        return outcome;
    }
    finally {
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
    }
}
/** The job's outcome from result.json, which the guest wrote and nothing vouches for. */
function outcomeFromResult(path, log) {
    const read = readGuestResult(path);
    if (read.kind === 'missing') {
        return {
            status: 'failed',
            exitCode: null,
            message: 'the guest stopped without a result (see guest.log and console.log)',
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
/** Copies what the guest collected, filtered by the job's exact globs, and its workspace changes. */
async function bringBack(context, guestDir) {
    const { node, jobDir, log } = context;
    // The guest copied at least what the globs match into its share; keep exactly what they match.
    const roots = { artifacts: (0,external_node_path_.join)(guestDir, 'artifacts'), reports: (0,external_node_path_.join)(guestDir, 'reports') };
    const notes = await (0,collect/* collectJobOutputs */.W)(roots, { artifacts: node.artifacts, reports: Object.values(node.reports).flat() }, jobDir);
    if (notes.length > 0)
        await log.note(notes.join('\n'));
    for (const folder of Object.values(roots))
        (0,external_node_fs_.rmSync)(folder, { recursive: true, force: true });
    for (const name of ['workspace-changes', 'workspace-deleted.txt']) {
        if ((0,external_node_fs_.existsSync)((0,external_node_path_.join)(guestDir, name)))
            (0,external_node_fs_.renameSync)((0,external_node_path_.join)(guestDir, name), (0,external_node_path_.join)(jobDir, name));
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
/** Rewrites a text file with secrets masked (the console log mirrors the job's output), line by line. */
async function maskFileInPlace(path, log) {
    if (!(0,external_node_fs_.existsSync)(path))
        return;
    const temp = `${path}.masking`;
    const out = (0,external_node_fs_.createWriteStream)(temp, { mode: 0o600 });
    const lines = (0,external_node_readline_.createInterface)({ input: (0,external_node_fs_.createReadStream)(path), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
        if (!out.write(`${log.mask(line)}\n`))
            await (0,external_node_events_.once)(out, 'drain');
    }
    out.end();
    await (0,external_node_events_.once)(out, 'finish');
    (0,external_node_fs_.renameSync)(temp, path);
}
/** Replaces control characters (from an untrusted message) with spaces. */
function stripControlCharacters(text) {
    return [...text]
        .map((char) => (char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f ? ' ' : char))
        .join('');
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

//# sourceMappingURL=151.index.js.map