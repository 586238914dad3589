import { lstat, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { placeInputs } from './inputs.js';

/**
 * Lays a job's recorded workspace changes (`writable-workspace`: the files it changed in workspace-changes/, the
 * paths it deleted in workspace-deleted.txt) over a copy of the snapshot it ran on, so the copy is its workspace as
 * the job left it. Both were written by the guest: changed files are placed as job inputs are (no link followed or
 * kept; read-only), and a deletion is done only for a plain relative path none of whose folders is a link.
 * Returns the number of paths changed and deleted.
 */
export async function replayWorkspaceChanges(
  target: string,
  changes: { folder: string | undefined; deletedList: string | undefined },
): Promise<{ changed: number; deleted: number }> {
  let deleted = 0;
  if (changes.deletedList !== undefined) {
    const text = await readFile(changes.deletedList, 'utf8').catch(() => '');
    for (const path of text.split('\n')) {
      if (!isPlainRelative(path) || !(await foldersAreReal(target, path))) continue;
      await rm(join(target, path), { recursive: true, force: true });
      deleted += 1;
    }
  }
  let changed = 0;
  if (changes.folder !== undefined && (await lstat(changes.folder).catch(() => undefined))?.isDirectory())
    changed = (await placeInputs([{ from: 'workspace-changes', folder: changes.folder }], target)).paths
      .length;
  return { changed, deleted };
}

/** A relative path with no empty, `.` or `..` part (so neither empty nor absolute: those have an empty part). */
function isPlainRelative(path: string): boolean {
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** Whether every folder on the way to `path` under `root` is a real folder (never a link out of the copy). */
async function foldersAreReal(root: string, path: string): Promise<boolean> {
  const parts = path.split('/').slice(0, -1);
  for (let i = 1; i <= parts.length; i++) {
    const info = await lstat(join(root, ...parts.slice(0, i))).catch(() => undefined);
    if (info === undefined || !info.isDirectory()) return false;
  }
  return true;
}
