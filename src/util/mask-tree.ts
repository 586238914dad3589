import { lstatSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { Masker } from './mask.js';
import { maskFileInPlace } from './mask-file.js';

/**
 * Masks secret values in every regular file under `folder` (bytes as bytes, see maskFileInPlace) and in the names
 * of its entries. Nothing is followed: links, pipes and devices are left as they are (the caller has swept them),
 * and folders are entered only as what lstat says they are. Returns how many files or names were masked.
 */
export async function maskTreeInPlace(folder: string, secrets: readonly string[]): Promise<number> {
  const masker = new Masker(secrets);
  if (masker.empty || !lstatSync(folder, { throwIfNoEntry: false })?.isDirectory()) return 0;
  let masked = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      let path = join(dir, entry.name);
      const name = masker.mask(entry.name);
      if (name !== entry.name) {
        path = freeName(dir, name);
        renameSync(join(dir, entry.name), path);
        masked++;
      }
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && (await maskFileInPlace(path, secrets))) masked++;
    }
  };
  await walk(folder);
  return masked;
}

/** `name` in `dir`, or `name.2`, `name.3`, ... when that is taken (two names may mask alike). */
function freeName(dir: string, name: string): string {
  let candidate = join(dir, name);
  for (let n = 2; lstatSync(candidate, { throwIfNoEntry: false }) !== undefined; n++)
    candidate = join(dir, `${name}.${n}`);
  return candidate;
}
