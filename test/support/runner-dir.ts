import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A fake runner install folder under `parent` whose bin/Runner.Listener says `version`. */
export function fakeRunnerDir(parent: string, version: string): string {
  const dir = mkdtempSync(join(parent, 'runner-'));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin/Runner.Listener'), `#!/bin/sh\necho ${version}\n`);
  chmodSync(join(dir, 'bin/Runner.Listener'), 0o755);
  return dir;
}
