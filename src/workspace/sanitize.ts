import { constants, existsSync } from 'node:fs';
import { lstat, open, readdir, rm } from 'node:fs/promises';

// On Linux, /proc/self/fd/<fd> names an open folder itself: looking names up under it is openat(), so a guest
// that swaps a folder for a link while we walk (a cache another running job shares) cannot steer us elsewhere.
const FD_PATHS = existsSync('/proc/self/fd');
const OPEN_NOFOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const SLASH = Buffer.from('/');

/**
 * Makes a folder a guest or job wrote into safe for the host to keep and upload: pipes, sockets and device nodes
 * are removed, and so are symlinks unless `keepLinks` (a cache's links are only ever followed inside a guest);
 * setuid, setgid and sticky bits are cleared. `privilegedOnly`: device nodes and set-id bits only (what grants
 * privilege on the host), links, pipes and sockets left for the collection to name. Never follows a link: each entry is opened with O_NOFOLLOW and
 * changed through that handle, and folders are entered through their handles where the OS allows it.
 * Returns the relative paths removed.
 */
export async function sanitizeTree(
  folder: string,
  options: { keepLinks?: boolean; privilegedOnly?: boolean } = {},
): Promise<string[]> {
  const removed: string[] = [];
  const top = await lstat(folder).catch(() => undefined);
  if (top === undefined || !top.isDirectory()) return removed;
  // Paths are bytes: a guest's name that is not UTF-8 still names its entry (as text it would name none).
  const visit = async (here: Buffer, relative: string): Promise<void> => {
    for (const entry of await readdir(here, { withFileTypes: true, encoding: 'buffer' })) {
      const text = entry.name.toString('utf8');
      const path = relative === '' ? text : `${relative}/${text}`;
      const full = Buffer.concat([here, SLASH, entry.name]);
      if (entry.isSymbolicLink() && (options.keepLinks === true || options.privilegedOnly === true)) continue;
      // Pipes and sockets grant nothing: left for the collection to name.
      if ((entry.isFIFO() || entry.isSocket()) && options.privilegedOnly === true) continue;
      if (!entry.isFile() && !entry.isDirectory()) {
        // unlink never follows; a folder put in its place since is left alone (rm without recursive refuses it).
        await rm(full, { force: true }).catch(() => undefined);
        removed.push(path);
        continue;
      }
      const handle = await open(full, OPEN_NOFOLLOW).catch(() => undefined);
      if (handle === undefined) continue; // replaced by a link (ELOOP) or gone since the listing
      try {
        const info = await handle.stat();
        if (!info.isFile() && !info.isDirectory()) continue;
        if ((info.mode & 0o7000) !== 0) await handle.chmod(info.mode & 0o777);
        if (info.isDirectory())
          await visit(FD_PATHS ? Buffer.from(`/proc/self/fd/${handle.fd}`) : full, path);
      } finally {
        await handle.close();
      }
    }
  };
  await visit(Buffer.from(folder), '');
  return removed;
}
