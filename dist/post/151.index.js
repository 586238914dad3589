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
// EXTERNAL MODULE: ./src/executors/vm/vm-job.ts + 9 modules
var vm_job = __webpack_require__(586);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./src/util/atomic-write.ts
var atomic_write = __webpack_require__(5105);
;// CONCATENATED MODULE: ./src/executors/qemu/args.ts

/** QEMU's user network as vmplan pins it (its defaults, written out so the agent can rely on them). */
const QEMU_USER_NETWORK = {
    address: '10.0.2.15/24',
    gateway: '10.0.2.2',
    dns: '10.0.2.3',
};
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
    // signal=off: Ctrl-C typed in an interactive console goes to the guest, not to QEMU.
    const chardev = spec.console === 'stdio'
        ? 'stdio,id=console0,signal=off'
        : `file,id=console0,path=${value(spec.consoleLog)}`;
    args.push('-device', 'virtio-serial-pci', '-chardev', chardev);
    args.push('-device', 'virtconsole,chardev=console0', '-device', 'virtio-rng-pci');
    if (spec.disk !== null) {
        args.push('-drive', `file=${value(spec.disk)},format=raw,if=none,id=disk0`, '-device', 'virtio-blk-pci,drive=disk0');
    }
    spec.shares.forEach((share, index) => {
        args.push(...shareArgs(share, index, options));
    });
    if (spec.network) {
        const { address, gateway, dns } = QEMU_USER_NETWORK;
        const netdev = `user,id=net0,net=${address.replace(/\.\d+\//, '.0/')},host=${gateway},dns=${dns},dhcpstart=${address.split('/')[0]}`;
        args.push('-netdev', netdev, '-device', 'virtio-net-pci,netdev=net0');
    }
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
        `local,id=fs${index},path=${value(share.hostPath)},${ninePModel(share.readOnly)}`,
        '-device',
        `virtio-9p-pci,fsdev=fs${index},mount_tag=${value(share.tag)}`,
    ];
}
/**
 * A writable 9p share is `mapped-xattr`: QEMU creates every file as itself with a plain mode (0755 files, so a
 * built program stays runnable on the host) and keeps the guest's owner, mode and special files in xattrs, so
 * a root guest's `mknod` or `chmod u+s` never makes a device node or a set-id file on the host. A read-only
 * share (`readonly=on`, enforced by QEMU) shows the host's owners and modes as they are.
 */
function ninePModel(readOnly) {
    return readOnly ? 'security_model=none,readonly=on' : 'security_model=mapped-xattr,fmode=0755,dmode=0755';
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
            // -o values are split at commas, and a backslash escapes the next character (libfuse's option parser).
            `source=${folder.replaceAll('\\', '\\\\').replaceAll(',', '\\,')}`,
            '-o',
            'cache=auto',
            '-o',
            'sandbox=chroot',
            '-o',
            'log_level=warn',
            // A root guest's mknod makes no device node on the host (set-id bits need the nosuid mount: see vm-job).
            '-o',
            'modcaps=-mknod:-fsetid:-setfcap',
        ];
    }
    const sandbox = process.getuid?.() === 0 ? 'chroot' : 'none';
    return [
        `--socket-path=${socket}`,
        `--shared-dir=${folder}`,
        '--cache=auto',
        `--sandbox=${sandbox}`,
        '--log-level=warn',
        '--modcaps=-mknod:-fsetid:-setfcap',
    ];
}
/**
 * Boots a VM spec with QEMU: one virtiofsd per share when available (the same virtiofs mounts the guest does
 * under vfkit), else 9p. QEMU exits when the guest powers off (or panics, with panic=-1 and -no-reboot).
 */
async function startQemuVm(spec, options) {
    const interactive = spec.console === 'stdio';
    // An interactive console stays in the caller's (foreground) group: a background group cannot read the terminal.
    const ownGroup = !interactive && (options.ownGroup ?? true);
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
    const spawnedAt = Date.now();
    const qemu = (0,external_node_child_process_.spawn)(binary, args, {
        stdio: interactive ? ['inherit', 'inherit', 'pipe'] : ['ignore', 'pipe', 'pipe'],
        detached: ownGroup,
    });
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
            // virtiofsd exits as soon as QEMU disconnects: wait for that (at most 500 ms), then make sure of it.
            const helpersGone = Promise.all(helpers.map((helper) => helper.exitCode === null && helper.signalCode === null ? once(helper) : undefined));
            void Promise.race([helpersGone, (0,promises_.setTimeout)(500)])
                .then(stopHelpers)
                .then(() => resolve({ code, signal }));
        });
    });
    let stopping;
    return {
        qemu,
        pid: qemu.pid,
        exited,
        command: [binary, ...args],
        spawnedAt,
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
        await (0,promises_.setTimeout)(5); // virtiofsd binds its socket within milliseconds: a coarse poll would be most of the wait
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
            // 9p shares are exported with readonly=on: QEMU itself refuses the guest's writes. virtiofsd has no such mode.
            enforcesReadOnlyShares: virtiofsd === undefined,
            // virtiofsd runs as root: without CAP_MKNOD it makes no device node, but it keeps a guest's chmod u+s.
            sharesKeepSetId: virtiofsd !== undefined,
            staticNetwork: QEMU_USER_NETWORK,
            async launch(spec, log) {
                if (!accels.has(spec.arch))
                    accels.set(spec.arch, chooseAccel(spec.arch, spec, cacheDir));
                const { accel, reason } = await accels.get(spec.arch);
                await log.note(`vmplan: ${spec.arch} guest with ${accel.toUpperCase()} (${reason}); shares over ${virtiofsd === undefined ? '9p' : 'virtiofs'}`);
                const vm = await startQemuVm(spec, {
                    accel,
                    virtiofsd,
                    socketDir,
                    output: { stream: () => log.detailInput() },
                });
                await log.detail(`vmplan: ${vm.command.join(' ')}`);
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


/***/ })

};

//# sourceMappingURL=151.index.js.map