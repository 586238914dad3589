// The GitHub Action's main step. Wired up with the action issue; for now it says so instead of doing nothing.
import * as core from '@actions/core';

core.setFailed(
  'vmplan: the GitHub Action entry point is not wired up yet in this version; use the CLI (vmplan run).',
);
