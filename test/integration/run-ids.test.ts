import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveRunId } from '../../src/cli/commands/runs.js';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';
import { StateLayout } from '../../src/records/layout.js';

describe('run ids on the command line', () => {
  const root = mkdtempSync(join(tmpdir(), 'vmplan-run-ids-'));
  const ids = ['20261203T070000Z-1a2b3c4d', '20261203T080000Z-9f8e7d6c', '20261204T090000Z-1a99aa00'];
  for (const id of ids) mkdirSync(join(root, 'runs', id), { recursive: true });
  const layout = new StateLayout(root);

  it('takes a full id, "latest", nothing, or a unique start of the id or of its random part', () => {
    expect(resolveRunId(layout, ids[1])).toBe(ids[1]);
    expect(resolveRunId(layout, 'latest')).toBe(ids[2]);
    expect(resolveRunId(layout, undefined)).toBe(ids[2]);
    expect(resolveRunId(layout, '20261203T08')).toBe(ids[1]);
    expect(resolveRunId(layout, '9f8e')).toBe(ids[1]);
  });

  it('says when a start is ambiguous or matches nothing', () => {
    expect(() => resolveRunId(layout, '20261203')).toThrow(/run "20261203" is ambiguous: 2 runs match/);
    expect(() => resolveRunId(layout, '1a')).toThrow(/ambiguous/);
    expect(() => resolveRunId(layout, 'ffff')).toThrow(/no run "ffff" in/);
  });
});

describe('unknown commands', () => {
  it('get a did-you-mean', async () => {
    let err = '';
    const io: CliIo = {
      stdout: () => undefined,
      stderr: (text) => {
        err += text;
      },
      cwd: process.cwd(),
      env: {},
    };
    expect(await runCli(['rn'], io)).toBe(2);
    expect(err).toBe('vmplan: unknown command "rn"; did you mean "run"? (vmplan help lists the commands)\n');
  });
});
