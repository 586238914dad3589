// Where a host job's workspace goes and how it ends: kept in the job's folder when the job failed (to look into),
// dropped otherwise — whether it ran in the job's folder or elsewhere (a project above the state folder).
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { liveLeases } from '../../src/util/lease.js';
import { hostWorkspace, projectAbove } from '../../src/workspace/host-workspace.js';
import { prerequisite } from '../support/prerequisites.js';
import { withTmpfs } from '../support/tmpfs.js';

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

describe("a host job's workspace elsewhere, at its edges", () => {
  it('is the first candidate with no project above it, or the last when every one has one', async () => {
    const base = mkdtempSync(join(root, 'choice-'));
    writeFileSync(join(base, 'Cargo.toml'), '');
    const clean = mkdtempSync(join(root, 'clean-'));
    const first = await hostWorkspace([
      join(base, 'state/runs/r1/jobs/unit/workspace'),
      join(base, 'cache/work/r1-unit'),
      join(clean, 'tmp/r1-unit'),
    ]);
    expect(first.path).toBe(join(clean, 'tmp/r1-unit'));
    // Made for it: a folder only the runner can enter.
    expect(statSync(join(clean, 'tmp')).mode & 0o777).toBe(0o700);
    const last = await hostWorkspace(candidates(base));
    expect(last.path).toBe(candidates(base)[2]);
    expect(last.movedBecause).toBe(`${join(base, 'Cargo.toml')} is above the job's folder`);
  });

  it('starts empty, whatever an earlier run left there, leased so gc leaves it alone', async () => {
    const base = mkdtempSync(join(root, 'fresh-'));
    writeFileSync(join(base, 'go.mod'), '');
    // Every candidate has the project above it: the last one is taken.
    const stale = candidates(base)[2]!;
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, 'left-by-an-earlier-run.txt'), 'stale');
    const place = await hostWorkspace(candidates(base));
    expect(place.path).toBe(stale);
    expect(existsSync(stale)).toBe(false);
    expect(liveLeases(dirname(stale)).map((holder) => holder.pid)).toContain(process.pid);
  });

  it("once dropped, removes its run's folder there when empty, and leaves it when something else is in it", async () => {
    for (const shared of [false, true]) {
      const base = mkdtempSync(join(root, 'drop-'));
      writeFileSync(join(base, 'pom.xml'), '');
      const place = await hostWorkspace(candidates(base));
      mkdirSync(place.path);
      writeFileSync(join(place.path, 'x'), 'x');
      if (shared) writeFileSync(join(dirname(place.path), 'another-job'), '');
      await place.finish(false);
      expect(existsSync(place.path)).toBe(false);
      expect(existsSync(dirname(place.path))).toBe(shared);
    }
  });

  describe.skipIf(!prerequisite('root (to mount a small tmpfs)', process.getuid?.() === 0))(
    'on another filesystem than the job folder',
    () => {
      it('is kept by copying it back: files with their times, links as the very links they were', async () => {
        const base = mkdtempSync(join(root, 'exdev-'));
        writeFileSync(join(base, 'package.json'), '{}');
        mkdirSync(join(base, 'state/runs/r1/jobs/unit'), { recursive: true });
        const clean = mkdtempSync(join(root, 'exdev-cache-'));
        await withTmpfs(clean, 'cache', 'size=8m', async (cache) => {
          const place = await hostWorkspace([
            join(base, 'state/runs/r1/jobs/unit/workspace'),
            join(cache, 'work/r1-unit'),
            join(cache, 'tmp/r1-unit'),
          ]);
          expect(place.path).toBe(join(cache, 'work/r1-unit'));
          mkdirSync(join(place.path, 'out'), { recursive: true });
          writeFileSync(join(place.path, 'out/result.txt'), 'the job left this');
          const when = new Date('2021-02-03T04:05:06Z');
          utimesSync(join(place.path, 'out/result.txt'), when, when);
          symlinkSync('out/result.txt', join(place.path, 'relative-link'));
          symlinkSync('/etc/hostname', join(place.path, 'absolute-link'));
          // What an earlier attempt left in the job folder gives way to this one's workspace.
          mkdirSync(join(base, 'state/runs/r1/jobs/unit/workspace'));
          writeFileSync(join(base, 'state/runs/r1/jobs/unit/workspace/earlier.txt'), 'earlier');
          await place.finish(true);
          const kept = join(base, 'state/runs/r1/jobs/unit/workspace');
          expect(existsSync(join(kept, 'earlier.txt'))).toBe(false);
          expect(readFileSync(join(kept, 'out/result.txt'), 'utf8')).toBe('the job left this');
          expect(statSync(join(kept, 'out/result.txt')).mtime.toISOString()).toBe(when.toISOString());
          expect(readlinkSync(join(kept, 'relative-link'))).toBe('out/result.txt');
          expect(readlinkSync(join(kept, 'absolute-link'))).toBe('/etc/hostname');
          expect(existsSync(place.path)).toBe(false);
        });
      });
    },
  );
});
