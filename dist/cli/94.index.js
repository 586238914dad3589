export const id = 94;
export const ids = [94];
export const modules = {

/***/ 3094:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   QemuExecutor: () => (/* binding */ QemuExecutor),
/* harmony export */   runtime: () => (/* binding */ runtime)
/* harmony export */ });
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1421);
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_child_process__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3916);
/* harmony import */ var _plan_image_users_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(3423);
/* harmony import */ var _process_ownership_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(2228);
/* harmony import */ var _util_short_socket_dir_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(7728);
/* harmony import */ var _vm_vm_job_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(155);
/* harmony import */ var _accel_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(2339);
/* harmony import */ var _args_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(9126);
/* harmony import */ var _vm_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(8334);









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
        const archs = new Set(plan.nodes.flatMap((node) => node.kind === 'prepare' && (0,_plan_image_users_js__WEBPACK_IMPORTED_MODULE_8__/* .executorsUsing */ .T)(plan, node).includes('qemu') ? [node.arch] : []));
        const missing = [...archs].filter((arch) => (0,node_child_process__WEBPACK_IMPORTED_MODULE_0__.spawnSync)((0,_args_js__WEBPACK_IMPORTED_MODULE_6__/* .qemuBinary */ .Q$)(arch), ['--version'], { stdio: 'ignore' }).status !== 0);
        if (missing.length > 0) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .dz(missing.map((arch) => ({
                message: `${(0,_args_js__WEBPACK_IMPORTED_MODULE_6__/* .qemuBinary */ .Q$)(arch)} is not installed (needed for ${arch} guests): apt-get install ${QEMU_PACKAGES[arch]}`,
            })));
        }
    }
    /** The accelerator per guest architecture, decided once per run (parallel first jobs share one probe). */
    accels = new Map();
    /** virtiofsd, looked up once (it runs `--version` on each candidate). */
    virtiofsd;
    async runJob(context) {
        const socketDir = (0,_util_short_socket_dir_js__WEBPACK_IMPORTED_MODULE_3__/* .shortSocketDir */ .B)();
        const cacheDir = this.options.cacheDir;
        // VMPLAN_QEMU_SHARES=9p: 9p even where virtiofsd exists (a broken virtiofsd, or to compare the two).
        this.virtiofsd ??= { found: process.env.VMPLAN_QEMU_SHARES === '9p' ? undefined : (0,_vm_js__WEBPACK_IMPORTED_MODULE_7__/* .findVirtiofsd */ .UY)() };
        const virtiofsd = this.virtiofsd.found;
        const accels = this.accels;
        const launcher = {
            name: 'qemu',
            restControlled: false,
            // 9p shares are exported with readonly=on: QEMU itself refuses the guest's writes. virtiofsd has no such mode.
            enforcesReadOnlyShares: virtiofsd === undefined,
            // virtiofsd runs as root: without CAP_MKNOD it makes no device node, but it keeps a guest's chmod u+s.
            sharesKeepSetId: virtiofsd !== undefined,
            staticNetwork: _args_js__WEBPACK_IMPORTED_MODULE_6__/* .QEMU_USER_NETWORK */ .YH,
            async launch(spec, log) {
                if (!accels.has(spec.arch))
                    accels.set(spec.arch, (0,_accel_js__WEBPACK_IMPORTED_MODULE_5__/* .chooseAccel */ .ug)(spec.arch, spec, cacheDir));
                const { accel, reason } = await accels.get(spec.arch);
                await log.note(`vmplan: ${spec.arch} guest with ${accel.toUpperCase()} (${reason}); shares over ${virtiofsd === undefined ? '9p' : 'virtiofs'}`);
                const vm = await (0,_vm_js__WEBPACK_IMPORTED_MODULE_7__/* .startQemuVm */ .G5)(spec, {
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
        return (0,_vm_vm_job_js__WEBPACK_IMPORTED_MODULE_4__/* .runVmJob */ .q)(context, launcher, {
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
    ..._process_ownership_js__WEBPACK_IMPORTED_MODULE_2__/* .processGroupLeftovers */ .FV,
};


/***/ })

};

//# sourceMappingURL=94.index.js.map