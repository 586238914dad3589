import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskFileInPlace } from '../../src/util/mask-file.js';

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
});
