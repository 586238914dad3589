import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@actions/core';
import { writeFileAtomic } from '../util/atomic-write.js';

/** The action's own `bin/vmplan.js` (found from this module, in the sources or the bundle), or undefined. */
export function actionCliScript(): string | undefined {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(folder, 'bin', 'vmplan.js'))) return join(folder, 'bin', 'vmplan.js');
    folder = dirname(folder);
  }
  return undefined;
}

/** A path in single quotes for sh (a quote inside closes, escapes and reopens). */
function shellQuoted(path: string): string {
  return `'${path.replaceAll("'", `'\\''`)}'`;
}

/**
 * Puts this action's `vmplan` on PATH for the job's later steps (`vmplan image build`, `vmplan gc`, …), the same
 * version as the action, without installing anything: a small wrapper that runs the action's CLI bundle with the
 * runner's own Node (a self-hosted Mac need not have `node` on PATH). Returns the wrapper's folder.
 */
export function putCliOnPath(runnerTemp: string): string | undefined {
  const script = actionCliScript();
  if (script === undefined) return undefined;
  const folder = join(runnerTemp, 'vmplan-bin');
  mkdirSync(folder, { recursive: true });
  const wrapper = join(folder, 'vmplan');
  writeFileAtomic(wrapper, `#!/bin/sh\nexec ${shellQuoted(process.execPath)} ${shellQuoted(script)} "$@"\n`);
  chmodSync(wrapper, 0o755);
  core.addPath(folder);
  return folder;
}
