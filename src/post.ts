// The GitHub Action's post step: cleanup after the main step (stops leftover VMs, finishes records).
// Nothing to clean up until the run engine lands; kept as the entry point action.yml will name.
export {};
