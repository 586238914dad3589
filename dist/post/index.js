import './sourcemap-register.cjs';var __webpack_exports__ = {};
// The GitHub Action's post step: cleanup after the main step (stops leftover VMs, finishes records).
// Nothing to clean up until the run engine lands; kept as the entry point action.yml will name.



//# sourceMappingURL=index.js.map