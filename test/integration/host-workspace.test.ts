// Where a host job's workspace goes and how it ends: kept in the job's folder when the job failed (to look into),
// dropped otherwise — whether it ran in the job's folder or elsewhere (a project above the state folder).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostWorkspace, projectAbove } from '../../src/workspace/host-workspace.js';

const root = mkdtempSync(join(tmpdir(), 'vmplan-host-workspace-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The candidates StateLayout.hostWorkspaceCandidates gives, under `base`. */
function candidates(base: string): string[] {
  return [
    join(base, 'state/runs/r1/jobs/unit/workspace'),
    join(base, 'cache/work/r1-unit'),
    join(base, 'tmp/r1-unit'),
  ];
}

describe("a host job's workspace", () => {
  it('in the job folder (no project above): kept when asked to keep, removed otherwise', async () => {
    const base = mkdtempSync(join(root, 'plain-'));
    expect(projectAbove(candidates(base)[0]!)).toBeUndefined();
    for (const keep of [true, false]) {
      const place = await hostWorkspace(candidates(base));
      expect(place.path).toBe(candidates(base)[0]);
      mkdirSync(place.path, { recursive: true });
      writeFileSync(join(place.path, 'left.txt'), `keep ${keep}`);
      await place.finish(keep);
      expect(existsSync(join(candidates(base)[0]!, 'left.txt'))).toBe(keep);
    }
  });

  it('elsewhere (a project above the state folder): kept by moving it into the job folder, else removed', async () => {
    for (const keep of [true, false]) {
      const base = mkdtempSync(join(root, 'project-'));
      writeFileSync(join(base, 'package.json'), '{}');
      // The job's folder exists (its host.log is there) by the time its workspace ends.
      mkdirSync(join(base, 'state/runs/r1/jobs/unit'), { recursive: true });
      const place = await hostWorkspace(candidates(base));
      expect(place.movedBecause).toBe(`${join(base, 'package.json')} is above the job's folder`);
      expect(place.path).not.toBe(candidates(base)[0]);
      mkdirSync(place.path, { recursive: true });
      writeFileSync(join(place.path, 'left.txt'), `keep ${keep}`);
      await place.finish(keep);
      expect(existsSync(place.path)).toBe(false);
      const kept = join(candidates(base)[0]!, 'left.txt');
      expect(existsSync(kept)).toBe(keep);
      if (keep) expect(readFileSync(kept, 'utf8')).toBe('keep true');
    }
  });
});
