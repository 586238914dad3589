/** Names under which the main step leaves state for the post step (core.saveState → STATE_<name>). */
export const STATE = {
  stateDir: 'state-dir',
  runDir: 'run-dir',
  checksFile: 'checks-file',
} as const;
