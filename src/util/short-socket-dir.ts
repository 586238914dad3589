import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A short, private folder for unix sockets: socket paths are limited to ~103 bytes, and run folders can be
 * deep (macOS temp folders alone are ~50). `/tmp/vmplan-<uid>`, mode 0700, owned by this user.
 */
export function shortSocketDir(base = '/tmp'): string {
  const uid = process.getuid?.() ?? 0;
  const dir = join(base, `vmplan-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const info = statSync(dir);
  if (info.uid !== uid || (info.mode & 0o077) !== 0) {
    throw new Error(
      `${dir} must belong to uid ${uid} with mode 0700 (it holds VM control sockets); remove it and retry`,
    );
  }
  return dir;
}
