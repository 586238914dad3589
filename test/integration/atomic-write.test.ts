import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-atomic-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

// A child process rewrites one file as fast as it can, alternating two large contents; we SIGKILL it at
// varying moments. Whatever the moment, the file must hold one whole version, never a torn mix.
const writer = `
import { writeFileAtomic } from ${JSON.stringify(new URL('../../src/util/atomic-write.ts', import.meta.url).pathname)};
const a = 'A'.repeat(4 * 1024 * 1024);
const b = 'B'.repeat(4 * 1024 * 1024);
writeFileAtomic(process.argv.at(-1), a);
process.stdout.write('ready\\n');
for (let i = 0; ; i++) writeFileAtomic(process.argv.at(-1), i % 2 ? a : b);
`;

describe('writeFileAtomic', () => {
  it('leaves the old or the new content when the writer is killed mid-write', async () => {
    const target = join(folder, 'record.json');
    for (let round = 0; round < 5; round++) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', writer, target],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 20 + round * 15));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const content = readFileSync(target, 'utf8');
      expect(content.length).toBe(4 * 1024 * 1024);
      expect(content === 'A'.repeat(content.length) || content === 'B'.repeat(content.length)).toBe(true);
    }
    // Killed writers may leave temp files behind, never a partial target.
    expect(readdirSync(folder).filter((name) => !name.endsWith('.tmp'))).toEqual(['record.json']);
  });
});
