// Values a jobs file may and may not hold, field by field, with the exact message and place of each refusal.
import { describe, expect, it } from 'vitest';
import { jobs, jobsErrors } from '../support/jobs.js';

const FILE = '.github/vmplan.yml';

describe('field values', () => {
  it('image names, CPU counts and memory sizes', () => {
    expect(
      jobsErrors(
        'version: 1\nimages:\n  Bad_Name: { arch: arm64, kernel: k, initrd: i }\n  g: { arch: arm64, kernel: k, initrd: i, cpus: two, memory: 1.5 }\njobs:\n  a: { run: x, executor: host }\n',
      ),
    ).toEqual([
      `${FILE}:3:3 images.Bad_Name: invalid image name "Bad_Name": expected 1-63 characters of a-z, 0-9, "-" and "_", starting with a letter or digit`,
      `${FILE}:4:49 images.g.cpus: expected a whole number of CPUs, found "two"`,
      `${FILE}:4:62 images.g.memory: expected memory in MiB as a whole number, found 1.5`,
    ]);
  });

  it('a timeout of up to one week, 256 MiB to 1 TiB of memory and 1 to 64 CPUs are allowed, one past each refused', () => {
    const job = (fields: string) =>
      `version: 1\nimages:\n  g: { arch: arm64, kernel: k, initrd: i }\njobs:\n  a: { run: x, image: g, executor: qemu, ${fields} }\n`;
    expect(() => jobs(job('timeout-minutes: 10080, memory: 256, cpus: 64'))).not.toThrow();
    expect(() => jobs(job('memory: 1048576, cpus: 1'))).not.toThrow();
    expect(jobsErrors(job('timeout-minutes: 10081, memory: 255, cpus: 65'))).toEqual([
      `${FILE}:5:59 jobs.a.timeout-minutes: expected at most 10080 minutes (one week)`,
      `${FILE}:5:74 jobs.a.memory: expected at least 256 MiB, found 255`,
      `${FILE}:5:85 jobs.a.cpus: expected at most 64 CPUs`,
    ]);
    expect(jobsErrors(job('memory: 1048577, cpus: 0'))).toEqual([
      `${FILE}:5:50 jobs.a.memory: expected at most 1048576 MiB`,
      `${FILE}:5:65 jobs.a.cpus: expected at least 1 CPU`,
    ]);
  });

  it('paths filters are globs from the repository root, negated or not; a folder glob is fine', () => {
    expect(
      jobsErrors(
        'version: 1\njobs:\n  a: { run: x, executor: host, paths: ["/src/**", "!/x", "ok/", "!ok/**"] }\n',
      ),
    ).toEqual([
      `${FILE}:3:40 jobs.a.paths[0]: expected a glob relative to the repository root, found "/src/**"`,
      `${FILE}:3:51 jobs.a.paths[1]: expected a glob relative to the repository root, found "!/x"`,
    ]);
  });

  it('workspace patterns stay inside the repository; the mode is overlay or copy', () => {
    expect(
      jobsErrors(
        'version: 1\nworkspace: { exclude: ["a/../b", "..", "ok/.."], include-ignored: ["../up"], mode: fast }\njobs:\n  a: { run: x, executor: host }\n',
      ),
    ).toEqual([
      `${FILE}:2:24 workspace.exclude[0]: expected a pattern inside the repository, found "a/../b"`,
      `${FILE}:2:34 workspace.exclude[1]: expected a pattern inside the repository, found ".."`,
      `${FILE}:2:40 workspace.exclude[2]: expected a pattern inside the repository, found "ok/.."`,
      `${FILE}:2:68 workspace.include-ignored[0]: expected a pattern inside the repository, found "../up"`,
      `${FILE}:2:84 workspace.mode: expected "overlay" or "copy", found "fast"`,
    ]);
    expect(() =>
      jobs('version: 1\nworkspace: { exclude: ["a..b/", "..c"] }\njobs:\n  a: { run: x, executor: host }\n'),
    ).not.toThrow();
  });

  it('a cache goes in a plain folder outside what the agent owns, wherever those names appear further down', () => {
    expect(
      jobsErrors(
        'version: 1\njobs:\n  a: { run: x, executor: host, caches: { a: "/home/./x", b: "/home/x/..", c: "/tmp", d: "/run", e: "/sys/x" } }\n',
      ),
    ).toEqual([
      `${FILE}:3:45 jobs.a.caches.a: expected a plain absolute folder, found "/home/./x" (".", ".." and "//" are not allowed)`,
      `${FILE}:3:61 jobs.a.caches.b: expected a plain absolute folder, found "/home/x/.." (".", ".." and "//" are not allowed)`,
      `${FILE}:3:78 jobs.a.caches.c: "/tmp" is not a place for a cache: expected a folder outside /, /workspace, /run, /var/run, /proc, /sys, /dev and /tmp itself`,
      `${FILE}:3:89 jobs.a.caches.d: "/run" is not a place for a cache: expected a folder outside /, /workspace, /run, /var/run, /proc, /sys, /dev and /tmp itself`,
      `${FILE}:3:100 jobs.a.caches.e: "/sys/x" is not a place for a cache: expected a folder outside /, /workspace, /run, /var/run, /proc, /sys, /dev and /tmp itself`,
    ]);
    expect(() =>
      jobs(
        'version: 1\njobs:\n  a: { run: x, executor: host, caches: { a: /tmp/npm, b: /home/vmplan/run, c: /opt/tmp, d: /srv/workspace/x, e: /home/dev/x, f: /x.y/..z } }\n',
      ),
    ).not.toThrow();
  });

  it('a secret is named once, a description is text', () => {
    expect(
      jobsErrors(
        'version: 1\njobs:\n  a: { run: x, executor: host, secrets: [TOKEN, TOKEN], description: 7 }\n',
      ),
    ).toEqual([
      `${FILE}:3:49 jobs.a.secrets[1]: secret "TOKEN" is listed twice`,
      `${FILE}:3:70 jobs.a.description: expected a string, found 7`,
    ]);
  });

  it('jobs are a mapping, not a list', () => {
    const errors = jobsErrors('version: 1\njobs:\n  - a\n  - b\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\.github\/vmplan\.yml:3:3 jobs: /);
  });
});

describe('dependency cycles', () => {
  it('names each cycle once, from its first job in name order, whichever job the search started from', () => {
    expect(
      jobsErrors(
        'version: 1\njobs:\n  c: { run: x, executor: host, needs: [a] }\n  b: { run: x, executor: host, needs: [c] }\n  a: { run: x, executor: host, needs: [b] }\n  d: { run: x, executor: host, needs: [d] }\n',
      ),
    ).toEqual([
      `${FILE}:5:39 jobs.a.needs: dependency cycle: a → b → c → a`,
      `${FILE}:6:40 jobs.d.needs[0]: job "d" cannot need itself`,
    ]);
  });

  it('a cycle the search enters from a job outside it is still named from its first job in name order', () => {
    // "a" is searched first and leads into the cycle at "c": the cycle is still "b → c → b", on b's needs.
    expect(
      jobsErrors(
        'version: 1\njobs:\n  a: { run: x, executor: host, needs: [c] }\n  c: { run: x, executor: host, needs: [b] }\n  b: { run: x, executor: host, needs: [c] }\n',
      ),
    ).toEqual([`${FILE}:5:39 jobs.b.needs: dependency cycle: b → c → b`]);
  });

  it('two cycles through one job are two problems', () => {
    const errors = jobsErrors(
      'version: 1\njobs:\n  x: { run: x, executor: host, needs: [y, z] }\n  y: { run: x, executor: host, needs: [x] }\n  z: { run: x, executor: host, needs: [x] }\n',
    );
    expect(errors.map((error) => error.replace(/^.*: dependency cycle: /, ''))).toEqual([
      'x → y → x',
      'x → z → x',
    ]);
  });
});
