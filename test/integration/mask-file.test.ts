import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskFileInPlace } from '../../src/util/mask-file.js';
import { maskTreeInPlace } from '../../src/util/mask-tree.js';

describe('maskFileInPlace', () => {
  const folder = mkdtempSync(join(tmpdir(), 'vmplan-mask-file-'));

  it('masks values across chunk boundaries and keeps every other byte', async () => {
    const secret = 'päss-wörd-123';
    const chunk = 1 << 20;
    const parts: Buffer[] = [];
    // Values placed so that each read chunk cuts through one of them.
    for (let i = 1; i <= 3; i++) {
      parts.push(Buffer.alloc(chunk - 5 - (i === 1 ? 0 : Buffer.byteLength(secret) - 5), i));
      parts.push(Buffer.from(secret));
    }
    parts.push(Buffer.from([0, 0xff, 0x80]));
    const path = join(folder, 'big.bin');
    writeFileSync(path, Buffer.concat(parts));
    expect(await maskFileInPlace(path, [secret])).toBe(true);
    const expected = Buffer.concat(
      parts.map((part) => (part.toString() === secret ? Buffer.from('***') : part)),
    );
    expect(readFileSync(path).equals(expected)).toBe(true);
  });

  it('leaves a file without secrets as it was, and never writes through a link', async () => {
    const plain = join(folder, 'plain.txt');
    writeFileSync(plain, 'nothing here\n');
    expect(await maskFileInPlace(plain, ['secret-value'])).toBe(false);
    expect(readFileSync(plain, 'utf8')).toBe('nothing here\n');
    const target = join(folder, 'target.txt');
    writeFileSync(target, 'secret-value\n');
    symlinkSync(target, join(folder, 'link.txt'));
    expect(await maskFileInPlace(join(folder, 'link.txt'), ['secret-value'])).toBe(false);
    expect(readFileSync(target, 'utf8')).toBe('secret-value\n');
  });

  it('keeps the file mode, replaces the file only when something was masked, and leaves no temporary file', async () => {
    const changed = join(folder, 'mode.txt');
    writeFileSync(changed, 'token=abc-secret-1\n');
    chmodSync(changed, 0o640);
    const before = statSync(changed).ino;
    expect(await maskFileInPlace(changed, ['abc-secret-1'])).toBe(true);
    expect(readFileSync(changed, 'utf8')).toBe('token=***\n');
    expect(statSync(changed).mode & 0o777).toBe(0o640);
    expect(statSync(changed).ino).not.toBe(before);

    const same = join(folder, 'same.txt');
    writeFileSync(same, 'clean\n');
    const inode = statSync(same).ino;
    expect(await maskFileInPlace(same, ['abc-secret-1'])).toBe(false);
    expect(statSync(same).ino).toBe(inode);
    expect(await maskFileInPlace(same, ['', '  '])).toBe(false);
    expect(readdirSync(folder).filter((name) => name.includes('vmplan-masking'))).toEqual([]);
  });

  it('masks a small file shorter than twice the longest secret, and a folder is left alone', async () => {
    const small = join(folder, 'small.txt');
    writeFileSync(small, 'ab-secret-value-long-long');
    expect(await maskFileInPlace(small, ['ab-secret-value-long-long', 'x'.repeat(40)])).toBe(true);
    expect(readFileSync(small, 'utf8')).toBe('***');
    expect(await maskFileInPlace(folder, ['anything'])).toBe(false);
  });
});

describe('maskTreeInPlace', () => {
  it('masks the contents and the names of files and folders at every depth, two names masking alike kept apart, never following a link', async () => {
    const secret = 'tok-SECRET-42';
    const root = mkdtempSync(join(tmpdir(), 'vmplan-mask-tree-'));
    const outside = mkdtempSync(join(tmpdir(), 'vmplan-mask-tree-outside-'));
    writeFileSync(join(outside, 'victim.txt'), `keep ${secret}\n`);
    mkdirSync(join(root, `dir-${secret}`, 'deeper'), { recursive: true });
    writeFileSync(join(root, `dir-${secret}`, 'deeper', 'notes.txt'), `a ${secret} b\n`);
    writeFileSync(join(root, `name-${secret}.txt`), 'first\n');
    writeFileSync(join(root, `name-${secret.toUpperCase()}.txt`), 'unrelated\n');
    writeFileSync(join(root, 'name-***.txt'), 'taken\n');
    symlinkSync(outside, join(root, 'link'));

    const count = await maskTreeInPlace(root, [secret]);

    expect(readdirSync(root).sort()).toEqual(
      ['dir-***', 'link', 'name-***.txt', 'name-***.txt.2', `name-${secret.toUpperCase()}.txt`].sort(),
    );
    expect(readFileSync(join(root, 'dir-***', 'deeper', 'notes.txt'), 'utf8')).toBe('a *** b\n');
    expect(readFileSync(join(root, 'name-***.txt'), 'utf8')).toBe('taken\n');
    expect(readFileSync(join(root, 'name-***.txt.2'), 'utf8')).toBe('first\n');
    // The link is left as it is, and what it points at is untouched.
    expect(readFileSync(join(outside, 'victim.txt'), 'utf8')).toBe(`keep ${secret}\n`);
    // Two names and one file's contents.
    expect(count).toBe(3);
  });

  it('masks names that are not UTF-8, and everything past them, byte for byte', async () => {
    const secret = 'pässwörd-7';
    const root = mkdtempSync(join(tmpdir(), 'vmplan-mask-tree-bytes-'));
    // A guest's names are bytes: the secret's UTF-8 bytes beside a byte no UTF-8 text has.
    const named = (...parts: (string | Buffer)[]) =>
      Buffer.concat([
        Buffer.from(`${root}/`),
        ...parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part)),
      ]);
    const odd = Buffer.from([0xff]);
    writeFileSync(named(secret, odd, '.txt'), `value ${secret}\n`);
    mkdirSync(named('d', odd, 'r-', secret));
    writeFileSync(named('d', odd, 'r-', secret, '/inner.txt'), `inner ${secret}\n`);
    writeFileSync(named('zz.npmrc'), `token=${secret}\n`);

    const count = await maskTreeInPlace(root, [secret]);

    const names = readdirSync(root, { encoding: 'buffer' })
      .map((name) => name.toString('latin1'))
      .sort();
    expect(names).toEqual(['***\xff.txt', 'd\xffr-***', 'zz.npmrc']);
    expect(readFileSync(named('***', odd, '.txt'), 'utf8')).toBe('value ***\n');
    expect(readFileSync(named('d', odd, 'r-***/inner.txt'), 'utf8')).toBe('inner ***\n');
    expect(readFileSync(join(root, 'zz.npmrc'), 'utf8')).toBe('token=***\n');
    expect(count).toBe(5);
  });
});
