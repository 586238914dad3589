import { chmod, lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Makes a folder a guest or job wrote into safe for the host to keep and upload: pipes, sockets and device nodes
 * are removed, and so are symlinks unless `keepLinks` (a cache's links are only ever followed inside a guest);
 * setuid, setgid and sticky bits are cleared. Walks without following links. Returns the relative paths removed.
 */
export async function sanitizeTree(folder: string, options: { keepLinks?: boolean } = {}): Promise<string[]> {
  const removed: string[] = [];
  const top = await lstat(folder).catch(() => undefined);
  if (top === undefined || !top.isDirectory()) return removed;
  const visit = async (relative: string): Promise<void> => {
    const here = relative === '' ? folder : join(folder, relative);
    for (const entry of await readdir(here, { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const full = join(folder, path);
      if (entry.isSymbolicLink() && options.keepLinks === true) continue;
      if (!entry.isFile() && !entry.isDirectory()) {
        await rm(full, { force: true, recursive: false });
        removed.push(path);
        continue;
      }
      const info = await lstat(full);
      if ((info.mode & 0o7000) !== 0) await chmod(full, info.mode & 0o777);
      if (entry.isDirectory()) await visit(path);
    }
  };
  await visit('');
  return removed;
}
