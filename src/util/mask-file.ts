import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, lstatSync, renameSync, rmSync } from 'node:fs';
import { Masker } from './mask.js';

/**
 * Masks secret values in a file in place, whatever it holds: bytes are read as latin1 (one character per byte)
 * and the secrets' UTF-8 bytes are matched the same way, so every other byte comes back unchanged and binary files
 * survive. Streams in chunks, never cutting through a value. Only a regular file (never through a link) is
 * touched; the new content replaces the old with a rename. Returns true when something was masked.
 */
export async function maskFileInPlace(path: string | Buffer, secrets: readonly string[]): Promise<boolean> {
  const masker = new Masker(secrets.map((secret) => Buffer.from(secret, 'utf8').toString('latin1')));
  if (masker.empty) return false;
  const info = lstatSync(path);
  if (!info.isFile()) return false;
  // A name of our own beside it: the folder's other names may be a guest's choice.
  const temp = Buffer.concat([
    Buffer.from(path),
    Buffer.from(`.${randomBytes(6).toString('hex')}.vmplan-masking`),
  ]);
  const out = createWriteStream(temp, { mode: info.mode & 0o777, flags: 'wx' });
  let carry = '';
  let changed = false;
  const emit = async (text: string) => {
    const masked = masker.mask(text);
    if (masked !== text) changed = true;
    if (!out.write(Buffer.from(masked, 'latin1'))) await once(out, 'drain');
  };
  try {
    for await (const chunk of createReadStream(path, { encoding: 'latin1', highWaterMark: 1 << 20 })) {
      const text = carry + (chunk as string);
      const keep = masker.longest;
      if (text.length <= keep * 2) {
        carry = text;
        continue;
      }
      const cut = masker.safeCut(text, text.length - keep);
      await emit(text.slice(0, cut));
      carry = text.slice(cut);
    }
    await emit(carry);
    out.end();
    await once(out, 'finish');
  } catch (error) {
    out.destroy();
    rmSync(temp, { force: true });
    throw error;
  }
  if (changed) renameSync(temp, path);
  else rmSync(temp, { force: true });
  return changed;
}
