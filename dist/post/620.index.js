export const id = 620;
export const ids = [620];
export const modules = {

/***/ 9620:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  MIN_VFKIT_VERSION: () => (/* binding */ MIN_VFKIT_VERSION),
  VfkitExecutor: () => (/* binding */ VfkitExecutor),
  findExecutable: () => (/* binding */ findExecutable),
  parseVfkitVersion: () => (/* binding */ parseVfkitVersion),
  runtime: () => (/* binding */ runtime)
});

// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __webpack_require__(1421);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: external "node:timers/promises"
var promises_ = __webpack_require__(8500);
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
;// CONCATENATED MODULE: ./src/executors/vfkit/args.ts
/** A VM spec that vfkit's command line cannot express; never passed through half-right. */
class VfkitArgumentError extends Error {
    name = 'VfkitArgumentError';
}
/** vfkit's limit for a unix socket path in --restful-uri. */
const MAX_SOCKET_PATH_BYTES = 103;
/** The virtualization framework's limit for a virtio-fs tag. */
const MAX_TAG_BYTES = 35;
/**
 * The vfkit command line for a VM, following vfkit's grammar exactly (v0.6.x): `--bootloader` elements split on
 * commas outside double quotes (so an element with a comma is quoted, and a double quote cannot be expressed);
 * `--device` values split on every comma (so no value may contain one); memory in MiB as a plain integer.
 */
function vfkitArgs(spec) {
    if (!Number.isInteger(spec.cpus) || spec.cpus < 1)
        throw new VfkitArgumentError(`cpus must be a whole number ≥ 1, got ${spec.cpus}`);
    if (!Number.isInteger(spec.memoryMiB) || spec.memoryMiB < 1) {
        throw new VfkitArgumentError(`memory must be a whole number of MiB, got ${spec.memoryMiB}`);
    }
    const args = ['--cpus', String(spec.cpus), '--memory', String(spec.memoryMiB)];
    args.push('--bootloader', [
        'linux',
        bootloaderElement('kernel', absolute('kernel', spec.kernel)),
        bootloaderElement('initrd', absolute('initrd', spec.initrd)),
        bootloaderElement('cmdline', spec.cmdline, true),
    ].join(','));
    args.push('--device', 'virtio-rng');
    // stdio: vfkit's own stdin and stdout are the console (it puts a terminal in raw mode itself).
    args.push('--device', spec.console === 'stdio'
        ? 'virtio-serial,stdio'
        : device('virtio-serial', [['logFilePath', absolute('console log', spec.consoleLog)]]));
    if (spec.disk !== null)
        args.push('--device', device('virtio-blk', [['path', absolute('disk', spec.disk)]]));
    for (const share of spec.shares) {
        args.push('--device', device('virtio-fs', [
            ['sharedDir', absolute(`share ${share.tag}`, share.hostPath)],
            ['mountTag', tag(share.tag)],
        ]));
    }
    if (spec.network)
        args.push('--device', 'virtio-net,nat');
    args.push('--restful-uri', `unix://${socketPath(spec.restSocket)}`);
    args.push('--pidfile', absolute('pidfile', spec.pidFile));
    return args;
}
/** One `key=value` element of --bootloader, quoted when it holds a comma (or always, for the cmdline). */
function bootloaderElement(key, value, alwaysQuote = false) {
    if (value.includes('"')) {
        throw new VfkitArgumentError(`the ${key} ${JSON.stringify(value)} contains a double quote, which vfkit's --bootloader cannot express`);
    }
    if (/[\r\n\0]/.test(value))
        throw new VfkitArgumentError(`the ${key} contains a line break or NUL`);
    const element = `${key}=${value}`;
    return alwaysQuote || value.includes(',') ? `"${element}"` : element;
}
/** A --device value: vfkit splits it on every comma, with no quoting, so values may not hold one. */
function device(kind, options) {
    for (const [key, value] of options) {
        if (value.includes(',')) {
            throw new VfkitArgumentError(`vfkit cannot take ${key} ${JSON.stringify(value)}: --device values cannot contain a comma`);
        }
        if (value === '')
            throw new VfkitArgumentError(`${kind} ${key} is empty`);
    }
    return [kind, ...options.map(([key, value]) => `${key}=${value}`)].join(',');
}
function absolute(what, path) {
    if (!path.startsWith('/'))
        throw new VfkitArgumentError(`the ${what} path must be absolute, got ${JSON.stringify(path)}`);
    return path;
}
function tag(value) {
    const bytes = Buffer.byteLength(value);
    if (bytes === 0 || bytes > MAX_TAG_BYTES) {
        throw new VfkitArgumentError(`virtio-fs tag ${JSON.stringify(value)} is ${bytes} bytes; it must be 1-${MAX_TAG_BYTES}`);
    }
    return value;
}
function socketPath(path) {
    absolute('REST socket', path);
    const bytes = Buffer.byteLength(path);
    if (bytes > MAX_SOCKET_PATH_BYTES) {
        throw new VfkitArgumentError(`REST socket path is ${bytes} bytes; vfkit allows at most ${MAX_SOCKET_PATH_BYTES}: ${path}`);
    }
    return path;
}

// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __webpack_require__(7067);
;// CONCATENATED MODULE: ./src/executors/vfkit/rest.ts

/** Speaks HTTP over vfkit's unix socket (`--restful-uri unix:///...`). */
async function vfkitRequest(socketPath, method, path, body, timeoutMs = 2_000) {
    return new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = (0,external_node_http_.request)({
            socketPath,
            method,
            path,
            headers: payload === undefined
                ? {}
                : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
            timeout: timeoutMs,
        }, (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk) => {
                text += chunk;
            });
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
        });
        req.on('timeout', () => req.destroy(new Error(`no answer from vfkit on ${socketPath} within ${timeoutMs} ms`)));
        req.on('error', reject);
        req.end(payload);
    });
}
/** Asks vfkit to change the VM's state; true when vfkit accepted (202). */
async function setVfkitState(socketPath, state) {
    try {
        const response = await vfkitRequest(socketPath, 'POST', '/vm/state', { state });
        return response.status === 202 || response.status === 200;
    }
    catch {
        return false;
    }
}

;// CONCATENATED MODULE: ./src/executors/vfkit/executor.ts












/** The oldest vfkit vmplan drives: --pidfile and a reliable SIGTERM came with 0.6.2. */
const MIN_VFKIT_VERSION = [0, 6, 2];
/** Finds an executable on PATH (or checks a given path); undefined when there is none. */
function findExecutable(name, env = process.env) {
    const candidates = name.includes('/')
        ? [(0,external_node_path_.resolve)(name)]
        : (env.PATH ?? '')
            .split(external_node_path_.delimiter)
            .filter(Boolean)
            .map((dir) => (0,external_node_path_.join)(dir, name));
    for (const candidate of candidates) {
        try {
            (0,external_node_fs_.accessSync)(candidate, external_node_fs_.constants.X_OK);
            return (0,external_node_path_.isAbsolute)(candidate) ? candidate : (0,external_node_path_.resolve)(candidate);
        }
        catch {
            // keep looking
        }
    }
    return undefined;
}
/** Parses `vfkit version: v0.6.4` into [0, 6, 4]. */
function parseVfkitVersion(output) {
    const match = /version:?\s*v?(\d+)\.(\d+)\.(\d+)/.exec(output);
    return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])];
}
function atLeast(version, minimum) {
    for (let i = 0; i < minimum.length; i++) {
        if ((version[i] ?? 0) !== minimum[i])
            return (version[i] ?? 0) > minimum[i];
    }
    return true;
}
/**
 * Runs jobs in vfkit VMs on an Apple Silicon Mac (Apple's Virtualization framework): each job boots its own
 * guest, shares its folders over virtio-fs, and is stopped through vfkit's REST API (HardStop), then SIGTERM,
 * then SIGKILL.
 */
class VfkitExecutor {
    options;
    name = 'vfkit';
    writableFolders = new Map();
    binary;
    constructor(options = {}) {
        this.options = options;
    }
    async preflight(plan) {
        const wanted = this.options.vfkitPath ?? 'vfkit';
        const binary = findExecutable(wanted, this.options.env);
        if (binary === undefined) {
            throw new errors/* InputError */.dz(this.options.vfkitPath === undefined
                ? 'vfkit is not installed (or not on PATH): install it with `brew install vfkit` (needs macOS 13+ on Apple Silicon), or pass --vfkit-path'
                : `--vfkit-path ${this.options.vfkitPath}: no executable there`);
        }
        const output = (0,external_node_child_process_.spawnSync)(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
        const version = parseVfkitVersion(`${output.stdout}${output.stderr}`);
        if (version === undefined) {
            throw new errors/* InputError */.dz(`cannot tell the version of ${binary} (it printed ${JSON.stringify(`${output.stdout}${output.stderr}`.trim().slice(0, 80))}); vmplan needs vfkit ${MIN_VFKIT_VERSION.join('.')} or newer: install a release (brew install vfkit)`);
        }
        if (!atLeast(version, MIN_VFKIT_VERSION)) {
            throw new errors/* InputError */.dz(`vfkit ${version.join('.')} is too old: vmplan needs ${MIN_VFKIT_VERSION.join('.')} or newer (brew upgrade vfkit)`);
        }
        if (process.platform === 'darwin') {
            const problems = [];
            const major = Number((0,external_node_os_.release)().split('.')[0]);
            if (major < 22)
                problems.push(`vfkit needs macOS 13 or newer; this Mac runs Darwin ${(0,external_node_os_.release)()}: update macOS`);
            if (process.arch !== 'arm64')
                problems.push('vmplan runs vfkit guests on Apple Silicon only; this Mac is Intel');
            // vfkit cannot emulate: guests must match the Mac (arm64).
            for (const node of plan.nodes) {
                if (node.kind === 'prepare' &&
                    node.arch !== 'arm64' &&
                    (0,image_users/* executorsUsing */.T)(plan, node).includes('vfkit')) {
                    problems.push(`image "${node.image}" is ${node.arch}; vfkit on Apple Silicon boots arm64 guests only`);
                }
            }
            if (problems.length > 0)
                throw new errors/* InputError */.dz(problems.map((message) => ({ message })));
        }
        this.binary = binary;
    }
    async runJob(context) {
        const binary = this.binary ?? findExecutable(this.options.vfkitPath ?? 'vfkit', this.options.env);
        if (binary === undefined)
            return { status: 'failed', exitCode: null, message: 'vfkit is not installed' };
        const launcher = {
            name: 'vfkit',
            restControlled: true,
            // virtio-fs under vfkit has no read-only export: every job gets its own clone of the snapshot.
            enforcesReadOnlyShares: false,
            launch: (spec, log) => launchVfkit(binary, spec, log),
            failureMessage(exit, stderrTail) {
                const error = stderrTail
                    .split('\n')
                    .map((line) => /^Error: (.*)$/.exec(line.trim())?.[1])
                    .filter(Boolean)
                    .pop();
                if (error !== undefined)
                    return `vfkit failed: ${error}`;
                return `vfkit exited with ${exit.code === null ? `signal ${exit.signal}` : `code ${exit.code}`} (see host.log)`;
            },
        };
        return (0,vm_job/* runVmJob */.q)(context, launcher, {
            socketDir: (0,short_socket_dir/* shortSocketDir */.B)(),
            workspaceMode: context.plan.workspace.mode,
            writableFolders: this.writableFolders,
            keepFailedDisks: this.options.keepFailedDisks === true,
        });
    }
}
/** Starts vfkit with stdin closed and its output in host.log. */
async function launchVfkit(binary, spec, log) {
    const args = vfkitArgs(spec);
    await log.detail(`vmplan: ${[binary, ...args].map((arg) => (/[\s"]/.test(arg) ? `'${arg}'` : arg)).join(' ')}`);
    // An interactive console: vfkit reads and writes this process's terminal, from its (foreground) group.
    const interactive = spec.console === 'stdio';
    const child = (0,external_node_child_process_.spawn)(binary, args, {
        stdio: interactive ? ['inherit', 'inherit', 'pipe'] : ['ignore', 'pipe', 'pipe'],
        detached: !interactive,
    });
    let stderr = '';
    child.stdout?.pipe(log.detailInput());
    child.stderr?.on('data', (chunk) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-8192);
    });
    child.stderr?.pipe(log.detailInput());
    const spawnError = await new Promise((resolve) => {
        child.once('spawn', () => resolve(undefined));
        child.once('error', resolve);
    });
    if (spawnError !== undefined)
        throw new Error(`cannot start ${binary}: ${spawnError.message}`);
    const exited = new Promise((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const gone = () => child.exitCode !== null || child.signalCode !== null;
    const waitExit = (ms) => Promise.race([exited.then(() => true), (0,promises_.setTimeout)(ms).then(() => false)]);
    let stopping;
    return {
        pid: child.pid,
        exited,
        stderrTail: () => stderr,
        stop(graceMs) {
            stopping ??= (async () => {
                // HardStop over REST ends the VM at once; vfkit then exits on its own.
                if (!gone() && (await setVfkitState(spec.restSocket, 'HardStop'))) {
                    await log.note('vmplan: asked vfkit for a HardStop');
                    if (await waitExit(2_000))
                        return;
                }
                if (!gone())
                    child.kill('SIGTERM');
                if (await waitExit(graceMs))
                    return;
                await log.note('vmplan: vfkit did not stop; SIGKILL');
                try {
                    if (interactive)
                        child.kill('SIGKILL');
                    else
                        process.kill(-child.pid, 'SIGKILL');
                }
                catch {
                    // already gone
                }
                await exited;
            })();
            return stopping;
        },
    };
}
/** The vfkit executor's runtime (see ./descriptor.ts). */
const runtime = {
    create(settings) {
        const path = settings.options['vfkit-path'];
        const vfkitPath = typeof path === 'string' && path !== '' ? path : undefined;
        return new VfkitExecutor({
            // A path with a slash is relative to where vmplan was started; a bare name is looked up on PATH.
            vfkitPath: vfkitPath?.includes('/') === true ? (0,external_node_path_.resolve)(settings.base, vfkitPath) : vfkitPath,
            env: settings.env,
            keepFailedDisks: settings.options['keep-failed-disks'] === true,
        });
    },
    async stopLeftovers(recorded, runDir) {
        const socket = recorded.restSocket;
        // HardStop over its REST socket first, as when vmplan stops a VM itself.
        await (0,ownership/* stopRecordedProcess */.w4)(recorded, runDir, {
            first: async () => (socket === null ? undefined : setVfkitState(socket, 'HardStop')),
        });
        // vfkit leaves its socket behind when it is killed; the next vfkit could not bind a stale one.
        if (socket !== null)
            (0,external_node_fs_.rmSync)(socket, { force: true });
    },
    killLeftoversNow: ownership/* killRecordedProcessNow */.Kf,
};


/***/ })

};

//# sourceMappingURL=620.index.js.map