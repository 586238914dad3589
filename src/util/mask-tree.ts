import { lstatSync, readdirSync, renameSync } from 'node:fs';
import { Masker } from './mask.js';
import { maskFileInPlace } from './mask-file.js';

const SLASH = Buffer.from('/');

/**
 * Masks secret values in every regular file under `folder` (bytes as bytes, see maskFileInPlace) and in the names
 * of its entries. Nothing is followed: links, pipes and devices are left as they are (the caller has swept them),
 * and folders are entered only as what lstat says they are. Names are bytes too (a guest's need not be UTF-8: read
 * as text, such a name would name no entry, and the walk would stop with secrets left). Returns how many files or
 * names were masked.
 */
export async function maskTreeInPlace(folder: string, secrets: readonly string[]): Promise<number> {
  // One character per byte, as maskFileInPlace reads contents: the secrets' UTF-8 bytes match in any name.
  const masker = new Masker(secrets.map((secret) => Buffer.from(secret, 'utf8').toString('latin1')));
  if (masker.empty || !lstatSync(folder, { throwIfNoEntry: false })?.isDirectory()) return 0;
  let masked = 0;
  const walk = async (dir: Buffer): Promise<void> => {
    for (const entry of readdirSync(dir, { withFileTypes: true, encoding: 'buffer' })) {
      let path: Buffer = Buffer.concat([dir, SLASH, entry.name]);
      const name = masker.mask(entry.name.toString('latin1'));
      if (name !== entry.name.toString('latin1')) {
        const renamed = freeName(dir, Buffer.from(name, 'latin1'));
        renameSync(path, renamed);
        path = renamed;
        masked++;
      }
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && (await maskFileInPlace(path, secrets))) masked++;
    }
  };
  await walk(Buffer.from(folder));
  return masked;
}

/** `name` in `dir`, or `name.2`, `name.3`, ... when that is taken (two names may mask alike). */
function freeName(dir: Buffer, name: Buffer): Buffer {
  const at = (suffix: string) => Buffer.concat([dir, SLASH, name, Buffer.from(suffix)]);
  let candidate = at('');
  for (let n = 2; lstatSync(candidate, { throwIfNoEntry: false }) !== undefined; n++) candidate = at(`.${n}`);
  return candidate;
}
