import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseAccel } from '../../src/executors/qemu/accel.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-accel-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const probe = { kernel: 'k', initrd: 'i' };

/** A probe boot that answers `verdicts` in turn and counts its calls. */
function probeBoot(...verdicts: (boolean | undefined)[]) {
  const calls: string[] = [];
  const boot = async (arch: 'arm64' | 'amd64') => {
    calls.push(arch);
    return verdicts.shift();
  };
  return { boot, calls };
}

describe('choosing KVM or TCG', () => {
  it('uses TCG without probing when KVM cannot work (another architecture, no /dev/kvm)', async () => {
    const { boot, calls } = probeBoot(true);
    const cache = mkdtempSync(join(folder, 'blocked-'));
    expect(await chooseAccel('amd64', probe, cache, boot, () => 'no /dev/kvm')).toEqual({
      accel: 'tcg',
      reason: 'no /dev/kvm',
    });
    expect(calls).toEqual([]);
  });

  it('probes once and caches the verdict: KVM that works, and KVM that is broken', async () => {
    for (const verdict of [true, false]) {
      const { boot, calls } = probeBoot(verdict, !verdict);
      const cache = mkdtempSync(join(folder, 'verdict-'));
      const first = await chooseAccel('arm64', probe, cache, boot, () => undefined);
      const second = await chooseAccel('arm64', probe, cache, boot, () => undefined);
      expect(first.accel).toBe(verdict ? 'kvm' : 'tcg');
      expect(second).toEqual(first);
      expect(calls).toEqual(['arm64']);
      expect(Object.values(JSON.parse(readFileSync(join(cache, 'qemu-accel.json'), 'utf8')))).toEqual([
        verdict,
      ]);
    }
  });

  it('caches nothing when the probe could not even start QEMU, and probes again next time', async () => {
    const { boot, calls } = probeBoot(undefined, true);
    const cache = mkdtempSync(join(folder, 'no-start-'));
    expect(await chooseAccel('arm64', probe, cache, boot, () => undefined)).toEqual({
      accel: 'tcg',
      reason: 'the KVM probe boot could not start QEMU',
    });
    expect((await chooseAccel('arm64', probe, cache, boot, () => undefined)).accel).toBe('kvm');
    expect(calls).toEqual(['arm64', 'arm64']);
  });
});
