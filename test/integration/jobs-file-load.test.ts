// Reading the jobs file from disk: what cannot be read says why, an oversized one is refused before parsing, and
// the digest recorded in the plan is of the exact bytes.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadJobsFile, loadJobsText } from '../../src/config/load.js';
import { refusalOf } from '../support/jobs.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-load-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const VALID = 'version: 1\njobs:\n  a: { run: x, executor: host }\n';

describe('loadJobsFile', () => {
  it('records the sha256 of the bytes as read, and the jobs', () => {
    const path = join(folder, 'jobs.yml');
    writeFileSync(path, VALID);
    const loaded = loadJobsFile(path, '.github/vmplan.yml');
    expect(loaded.sha256).toBe(createHash('sha256').update(VALID).digest('hex'));
    expect(Object.keys(loaded.config.jobs)).toEqual(['a']);
  });

  it('says why a file cannot be read, by the name it was given', () => {
    expect(refusalOf(() => loadJobsFile(join(folder, 'missing.yml'), 'ci/missing.yml'))).toBe(
      'ci/missing.yml: cannot read the jobs file: no such file',
    );
    mkdirSync(join(folder, 'a-folder.yml'));
    expect(refusalOf(() => loadJobsFile(join(folder, 'a-folder.yml'), 'a-folder.yml'))).toBe(
      'a-folder.yml: cannot read the jobs file: is a directory',
    );
    writeFileSync(join(folder, 'not-a-folder'), '');
    expect(refusalOf(() => loadJobsFile(join(folder, 'not-a-folder/jobs.yml'), 'x.yml'))).toBe(
      'x.yml: cannot read the jobs file: ENOTDIR',
    );
  });

  it('reads 4 MiB and refuses one byte more, before parsing', () => {
    const padded = (size: number) => `${VALID}#${'x'.repeat(size - VALID.length - 2)}\n`;
    expect(loadJobsText(padded(4 * 1024 * 1024), 'big.yml').config.jobs).toHaveProperty('a');
    expect(refusalOf(() => loadJobsText(padded(4 * 1024 * 1024 + 1), 'big.yml'))).toBe(
      `big.yml: the jobs file is ${4 * 1024 * 1024 + 1} bytes; at most ${4 * 1024 * 1024} are read`,
    );
  });
});
