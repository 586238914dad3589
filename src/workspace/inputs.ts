import { constants } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, readdir, rm } from 'node:fs/promises';

const SLASH = Buffer.from('/');

/** What placing a job's inputs did: paths placed (relative, top-level entries of each input once). */
export interface PlacedInputs {
  paths: string[];
}

/**
 * Puts the outputs of the jobs a job needs into `target` (its workspace, or the folder a VM lays over its snapshot)
 * at the same relative paths, read-only (no write bit on the files), copy-on-write where the filesystem can.
 * Later inputs win over earlier ones and over the workspace's own files. The target is the repository's (hostile
 * on a pull request): no symlink, file or special entry in the way is followed or kept — it is replaced by a real
 * folder or file.
 */
export async function placeInputs(
  inputs: readonly { from: string; folder: string }[],
  target: string,
): Promise<PlacedInputs> {
  const paths = new Set<string>();
  for (const input of inputs) {
    for (const name of await readdir(input.folder, { encoding: 'buffer' })) {
      await place(Buffer.from(input.folder), Buffer.from(target), name);
      paths.add(name.toString('utf8'));
    }
  }
  return { paths: [...paths].sort() };
}

/**
 * Places one entry (a folder: all it holds), never through what is in the way at the destination. Paths are bytes:
 * a name a guest wrote into its workspace changes need not be UTF-8 (as text it would name no file).
 */
async function place(source: Buffer, target: Buffer, relative: Buffer): Promise<void> {
  const from = Buffer.concat([source, SLASH, relative]);
  const to = Buffer.concat([target, SLASH, relative]);
  const info = await lstat(from);
  const existing = await lstat(to).catch(() => undefined);
  if (info.isDirectory()) {
    if (existing !== undefined && !existing.isDirectory()) await rm(to, { force: true });
    if (existing === undefined || !existing.isDirectory()) await mkdir(to);
    else await chmod(to, 0o755);
    for (const child of await readdir(from, { encoding: 'buffer' }))
      await place(source, target, Buffer.concat([relative, SLASH, child]));
    // Folders stay writable by their owner: a runner that is not root must still be able to delete the workspace
    // (a file needs its folder's write bit to go). The files in them are what is read-only.
    await chmod(to, 0o755);
    return;
  }
  // Outputs hold regular files and folders only (collected so); anything else is not placed.
  if (!info.isFile()) return;
  if (existing !== undefined) await rm(to, { recursive: existing.isDirectory(), force: true });
  await copyFile(from, to, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
  await chmod(to, info.mode & 0o555);
}
