import { describe, expect, it } from 'vitest';
import { jobs, jobsErrors } from '../support/jobs.js';

const IMAGE = `images:
  debian:
    arch: arm64
    kernel: img/Image
    initrd: img/initrd
`;

// Each case: a jobs file and the exact messages it must produce, with file:line:column.
const cases: { name: string; yaml: string; errors: string[] }[] = [
  {
    name: 'retries and retry-on: a whole number in range, known causes, each once, in jobs and defaults',
    yaml: `version: 1
defaults: { executor: host, retries: 9, retry-on: [] }
jobs:
  a: { run: x, retries: 1.5 }
  b: { run: x, retries: -1, retry-on: [failure, flaky] }
  c: { run: x, retries: "2", retry-on: [timeout, timeout] }
  d: { run: x, retry-on: failure }
`,
    errors: [
      '.github/vmplan.yml:2:38 defaults.retries: expected 0 to 5 retries, found 9',
      '.github/vmplan.yml:2:51 defaults.retry-on: expected at least one of "failure", "timeout", "infrastructure"',
      '.github/vmplan.yml:4:25 jobs.a.retries: expected a whole number of retries, found 1.5',
      '.github/vmplan.yml:5:25 jobs.b.retries: expected 0 to 5 retries, found -1',
      '.github/vmplan.yml:5:49 jobs.b.retry-on[1]: expected one of "failure", "timeout", "infrastructure", found "flaky"',
      '.github/vmplan.yml:6:25 jobs.c.retries: expected a whole number of retries, found "2"',
      '.github/vmplan.yml:6:40 jobs.c.retry-on: expected each cause once',
      '.github/vmplan.yml:7:26 jobs.d.retry-on: expected a list (- item lines, or [a, b]), found "failure"',
    ],
  },
  {
    name: 'a union names the problem inside the branch the value is shaped like, else what it expected',
    yaml: `version: 1
images:
  d: { arch: arm64, build: { run: "", inputs: [a] } }
  e: { arch: arm64, build: { run: make, inputz: [a] } }
  f: { arch: arm64, build: 42 }
  g: 5
jobs:
  a: { run: x, executor: host }
  u: { run: x, executor: host, needs: [1, a] }
  v: { run: x, executor: host, needs: { a: 1 } }
  w: { run: x, executor: host, env: { A: [1], B: { c: 1 }, C: 1, D: true } }
`,
    errors: [
      '.github/vmplan.yml:3:35 images.d.build.run: expected a non-empty string',
      '.github/vmplan.yml:4:41 images.e.build.inputz: unknown key "inputz" (did you mean "inputs"?)',
      '.github/vmplan.yml:5:28 images.f.build: expected a command string or { run, inputs }, found 42',
      '.github/vmplan.yml:6:6 images.g: expected an image definition (a mapping with kernel and initrd, build, nix or oci), found 5',
      '.github/vmplan.yml:9:40 jobs.u.needs[0]: expected a job id, found 1',
      '.github/vmplan.yml:10:39 jobs.v.needs: expected a job id or a list of job ids, found a mapping',
      '.github/vmplan.yml:11:42 jobs.w.env.A: expected a string, number or boolean, found a list',
      '.github/vmplan.yml:11:50 jobs.w.env.B: expected a string, number or boolean, found a mapping',
    ],
  },
  {
    name: "wrong types in the words of YAML, never the validator's",
    yaml: `version: 1
jobs:
  unit:
    run: x
    executor: host
    artifacts: out/
    env: [A]
    caches: null
`,
    errors: [
      '.github/vmplan.yml:6:16 jobs.unit.artifacts: expected a list (- item lines, or [a, b]), found "out/"',
      '.github/vmplan.yml:7:10 jobs.unit.env: expected a mapping (key: value lines), found a list',
      '.github/vmplan.yml:8:13 jobs.unit.caches: expected a mapping (key: value lines), found null',
    ],
  },
  {
    name: 'a malformed need id is reported once, and suggestions are only valid ids',
    yaml: `version: 1
jobs:
  Unit: { run: x, executor: host }
  lint: { run: y, executor: host, needs: [unit, Build_It] }
`,
    errors: [
      '.github/vmplan.yml:3:3 jobs.Unit: invalid job id "Unit": expected 1-63 characters of a-z, 0-9, "-" and "_", starting with a letter or digit',
      '.github/vmplan.yml:4:43 jobs.lint.needs[0]: unknown job "unit"',
      '.github/vmplan.yml:4:49 jobs.lint.needs[1]: invalid job id "Build_It": expected 1-63 characters of a-z, 0-9, "-" and "_", starting with a letter or digit',
    ],
  },
  {
    name: 'unknown need with a suggestion',
    yaml: `version: 1
jobs:
  build: { run: make, executor: host }
  unit:
    run: make test
    executor: host
    needs: [build, buidl]
`,
    errors: ['.github/vmplan.yml:7:20 jobs.unit.needs[1]: unknown job "buidl" (did you mean "build"?)'],
  },
  {
    name: 'unknown need given as a string',
    yaml: `version: 1
jobs:
  unit: { run: x, executor: host, needs: lint }
`,
    errors: ['.github/vmplan.yml:3:42 jobs.unit.needs: unknown job "lint"'],
  },
  {
    name: 'self dependency',
    yaml: `version: 1
jobs:
  unit: { run: x, executor: host, needs: [unit] }
`,
    errors: ['.github/vmplan.yml:3:43 jobs.unit.needs[0]: job "unit" cannot need itself'],
  },
  {
    name: 'a dependency cycle, printed',
    yaml: `version: 1
defaults: { executor: host }
jobs:
  a: { run: x, needs: c }
  b: { run: x, needs: a }
  c: { run: x, needs: b }
`,
    errors: ['.github/vmplan.yml:4:23 jobs.a.needs: dependency cycle: a → c → b → a'],
  },
  {
    name: 'a cycle of 12 jobs printed whole, one of 13 shortened',
    yaml: `version: 1
defaults: { executor: host }
jobs:
${Array.from({ length: 12 }, (_, i) => `  a${String(i).padStart(2, '0')}: { run: x, needs: a${String((i + 1) % 12).padStart(2, '0')} }`).join('\n')}
${Array.from({ length: 13 }, (_, i) => `  b${String(i).padStart(2, '0')}: { run: x, needs: b${String((i + 1) % 13).padStart(2, '0')} }`).join('\n')}
`,
    errors: [
      '.github/vmplan.yml:4:25 jobs.a00.needs: dependency cycle: a00 → a01 → a02 → a03 → a04 → a05 → a06 → a07 → a08 → a09 → a10 → a11 → a00',
      '.github/vmplan.yml:16:25 jobs.b00.needs: dependency cycle of 13 jobs: b00 → b01 → b02 → b03 → b04 → b05 → b06 → b07 → b08 → b09 → … → b12 → b00',
    ],
  },
  {
    name: 'a need listed twice',
    yaml: `version: 1
defaults: { executor: host }
jobs:
  a: { run: x }
  b: { run: x, needs: [a, a] }
`,
    errors: ['.github/vmplan.yml:5:27 jobs.b.needs[1]: "a" is listed twice'],
  },
  {
    name: 'duplicate job id, reported with the other problems of the file',
    yaml: `version: 1
defaults: { executor: host }
jobs:
  unit: { run: x }
  unit: { run: y, timout: 3 }
  lint: { run: z, executor: docker }
`,
    errors: [
      '.github/vmplan.yml:5:3 jobs.unit: duplicate key "unit": each key (and each job id) may appear only once',
      '.github/vmplan.yml:5:19 jobs.unit.timout: unknown key "timout" (did you mean "timeout-minutes"?)',
      '.github/vmplan.yml:6:29 jobs.lint.executor: expected one of "host", "vfkit", "qemu", found "docker"',
    ],
  },
  {
    name: 'caches with a bad name and places a cache cannot go',
    yaml: `version: 1
defaults: { executor: qemu, image: x }
images:
  x: { arch: arm64, kernel: k, initrd: i }
jobs:
  unit:
    run: x
    caches: { Npm: /home/vmplan/.npm, cargo: relative/path, up: /home/../etc, ws: /workspace/deps }
`,
    errors: [
      '.github/vmplan.yml:8:15 jobs.unit.caches.Npm: invalid cache name "Npm": expected 1-22 characters of a-z, 0-9, "-" and "_", starting with a letter or digit',
      '.github/vmplan.yml:8:46 jobs.unit.caches.cargo: expected an absolute guest folder of letters, digits and . _ @ + - / (e.g. /home/vmplan/.npm), found "relative/path"',
      '.github/vmplan.yml:8:65 jobs.unit.caches.up: expected a plain absolute folder, found "/home/../etc" (".", ".." and "//" are not allowed)',
      '.github/vmplan.yml:8:83 jobs.unit.caches.ws: "/workspace/deps" is not a place for a cache: expected a folder outside /, /workspace, /run, /var/run, /proc, /sys, /dev and /tmp itself',
    ],
  },
  {
    name: 'job id with capitals',
    yaml: `version: 1
jobs:
  Unit: { run: x, executor: host }
`,
    errors: [
      '.github/vmplan.yml:3:3 jobs.Unit: invalid job id "Unit": expected 1-63 characters of a-z, 0-9, "-" and "_", starting with a letter or digit',
    ],
  },
  {
    name: 'job id that could climb out of a folder',
    yaml: `version: 1
jobs:
  "../etc": { run: x, executor: host }
`,
    errors: [
      '.github/vmplan.yml:3:3 jobs["../etc"]: invalid job id "../etc": expected 1-63 characters of a-z, 0-9, "-" and "_", starting with a letter or digit',
    ],
  },
  {
    name: 'job id too long',
    yaml: `version: 1
jobs:
  ${'a'.repeat(64)}: { run: x, executor: host }
`,
    errors: [
      `.github/vmplan.yml:3:3 jobs.${'a'.repeat(64)}: invalid job id "${'a'.repeat(57)}...": expected 1-63 characters of a-z, 0-9, "-" and "_", starting with a letter or digit`,
    ],
  },
  {
    name: 'unknown key in a job, with a suggestion',
    yaml: `version: 1
jobs:
  unit:
    run: x
    executor: host
    timout: 5
`,
    errors: [
      '.github/vmplan.yml:6:5 jobs.unit.timout: unknown key "timout" (did you mean "timeout-minutes"?)',
    ],
  },
  {
    name: 'unknown top-level key',
    yaml: `version: 1
job:
  unit: { run: x }
`,
    errors: [
      '.github/vmplan.yml:1:1: missing required field "jobs"',
      '.github/vmplan.yml:2:1 job: unknown key "job" (did you mean "jobs"?)',
    ],
  },
  {
    name: 'missing run',
    yaml: `version: 1
jobs:
  unit:
    executor: host
`,
    errors: ['.github/vmplan.yml:4:5 jobs.unit: missing required field "run"'],
  },
  {
    name: 'empty run',
    yaml: `version: 1
jobs:
  unit: { run: "  ", executor: host }
`,
    errors: ['.github/vmplan.yml:3:16 jobs.unit.run: expected a non-empty string'],
  },
  {
    name: 'wrong version',
    yaml: `version: 2
jobs:
  unit: { run: x, executor: host }
`,
    errors: ['.github/vmplan.yml:1:10 version: expected 1, found 2'],
  },
  {
    name: 'missing version',
    yaml: `jobs:
  unit: { run: x, executor: host }
`,
    errors: ['.github/vmplan.yml:1:1: missing required field "version"'],
  },
  {
    name: 'no jobs',
    yaml: `version: 1
jobs: {}
`,
    errors: ['.github/vmplan.yml:2:7 jobs: expected at least one job'],
  },
  {
    name: 'negative timeout',
    yaml: `version: 1
jobs:
  unit: { run: x, executor: host, timeout-minutes: -5 }
`,
    errors: [
      '.github/vmplan.yml:3:52 jobs.unit.timeout-minutes: expected a positive number of minutes, found -5',
    ],
  },
  {
    name: 'timeout as a string',
    yaml: `version: 1
jobs:
  unit: { run: x, executor: host, timeout-minutes: "10m" }
`,
    errors: [
      '.github/vmplan.yml:3:52 jobs.unit.timeout-minutes: expected a positive number of minutes, found "10m"',
    ],
  },
  {
    name: 'unknown executor',
    yaml: `version: 1
jobs:
  unit: { run: x, executor: docker }
`,
    errors: [
      '.github/vmplan.yml:3:29 jobs.unit.executor: expected one of "host", "vfkit", "qemu", found "docker"',
    ],
  },
  {
    name: 'needs of the wrong type',
    yaml: `version: 1
jobs:
  unit: { run: x, executor: host, needs: 5 }
`,
    errors: ['.github/vmplan.yml:3:42 jobs.unit.needs: expected a job id or a list of job ids, found 5'],
  },
  {
    name: 'unknown image with a suggestion',
    yaml: `version: 1
${IMAGE}jobs:
  unit: { run: x, image: debain }
`,
    errors: ['.github/vmplan.yml:8:26 jobs.unit.image: unknown image "debain" (did you mean "debian"?)'],
  },
  {
    name: 'an image when none are defined',
    yaml: `version: 1
defaults: { image: debian }
jobs:
  unit: { run: x }
`,
    errors: [
      '.github/vmplan.yml:2:20 defaults.image: unknown image "debian" (no images are defined under "images")',
    ],
  },
  {
    name: 'a VM job without an image',
    yaml: `version: 1
jobs:
  unit: { run: x, executor: vfkit }
`,
    errors: [
      '.github/vmplan.yml:3:9 jobs.unit: runs on vfkit, which needs a guest image: set jobs.unit.image or defaults.image',
    ],
  },
  {
    name: 'image that is both built and from nix',
    yaml: `version: 1
images:
  debian:
    arch: arm64
    build: ./make-image.sh
    nix: .#guest
jobs:
  unit: { run: x }
`,
    errors: [
      '.github/vmplan.yml:4:5 images.debian: expected exactly one of "kernel"/"initrd" (prebuilt files), "build" (a host command), "nix" (a nix installable) or "oci" (an image in a registry); found "build" and "nix"',
    ],
  },
  {
    name: 'image with no source at all',
    yaml: `version: 1
images:
  debian: { arch: arm64 }
jobs:
  unit: { run: x }
`,
    errors: [
      '.github/vmplan.yml:3:11 images.debian: expected exactly one of "kernel"/"initrd" (prebuilt files), "build" (a host command), "nix" (a nix installable) or "oci" (an image in a registry); found none of them',
    ],
  },
  {
    name: 'oci image whose reference names no registry or no tag',
    yaml: `version: 1
images:
  debian: { arch: arm64, oci: "debian:12" }
  other: { arch: arm64, oci: "ghcr.io/acme/guest" }
jobs:
  unit: { run: x, image: debian }
`,
    errors: [
      '.github/vmplan.yml:3:31 images.debian.oci: no registry host (expected e.g. ghcr.io/org/guest:1.2 or ghcr.io/org/guest@sha256:…)',
      '.github/vmplan.yml:4:30 images.other.oci: no tag or digest (expected e.g. ghcr.io/org/guest:1.2 or ghcr.io/org/guest@sha256:…)',
    ],
  },
  {
    name: 'prebuilt image without an initrd, and a typo',
    yaml: `version: 1
images:
  debian:
    arch: arm64
    kernel: img/Image
    memroy: 2048
jobs:
  unit: { run: x }
`,
    errors: [
      '.github/vmplan.yml:4:5 images.debian: missing required field "initrd"',
      '.github/vmplan.yml:6:5 images.debian.memroy: unknown key "memroy" (did you mean "memory"?)',
    ],
  },
  {
    name: 'memory with a unit',
    yaml: `version: 1
images:
  debian: { arch: arm64, nix: .#guest, memory: 2G }
jobs:
  unit: { run: x }
`,
    errors: [
      '.github/vmplan.yml:3:48 images.debian.memory: expected memory in MiB as a whole number, found "2G"',
    ],
  },
  {
    name: 'unknown architecture',
    yaml: `version: 1
images:
  debian: { arch: x86_64, nix: .#guest }
jobs:
  unit: { run: x }
`,
    errors: ['.github/vmplan.yml:3:19 images.debian.arch: expected "arm64" or "amd64", found "x86_64"'],
  },
  {
    name: 'fractional cpus',
    yaml: `version: 1
images:
  debian: { arch: arm64, nix: .#guest, cpus: 1.5 }
jobs:
  unit: { run: x }
`,
    errors: ['.github/vmplan.yml:3:46 images.debian.cpus: expected a whole number of CPUs, found 1.5'],
  },
  {
    name: 'kernel path climbing out of the repository',
    yaml: `version: 1
images:
  debian: { arch: arm64, kernel: ../../Image, initrd: x }
jobs:
  unit: { run: x }
`,
    errors: [
      '.github/vmplan.yml:3:34 images.debian.kernel: expected an absolute path or a path inside the repository, found "../../Image" ("..." is not allowed)'.replace(
        '"..."',
        '".."',
      ),
    ],
  },
  {
    name: 'kernel command line with a double quote',
    yaml: `version: 1
images:
  debian: { arch: arm64, nix: .#guest, cmdline: 'quiet foo="bar"' }
jobs:
  unit: { run: x }
`,
    errors: [
      '.github/vmplan.yml:3:49 images.debian.cmdline: a kernel command line cannot contain a double quote (vfkit has no way to pass one)',
    ],
  },
  {
    name: 'artifact outside the workspace',
    yaml: `version: 1
jobs:
  unit: { run: x, executor: host, artifacts: [out/, ../secrets] }
`,
    errors: [
      '.github/vmplan.yml:3:53 jobs.unit.artifacts[1]: expected a path inside the workspace, found "../secrets" (".." is not allowed)',
    ],
  },
  {
    name: 'absolute junit report path',
    yaml: `version: 1
jobs:
  unit:
    run: x
    executor: host
    reports: { junit: [/tmp/junit.xml] }
`,
    errors: [
      '.github/vmplan.yml:6:24 jobs.unit.reports.junit[0]: expected a path relative to the workspace, found the absolute path "/tmp/junit.xml"',
    ],
  },
  {
    name: 'bad env name and reserved env name',
    yaml: `version: 1
jobs:
  unit:
    run: x
    executor: host
    env: { 1BAD: x, VMPLAN_JOB: y }
`,
    errors: [
      '.github/vmplan.yml:6:12 jobs.unit.env.1BAD: invalid variable name "1BAD": expected letters, digits and "_", not starting with a digit',
      '.github/vmplan.yml:6:21 jobs.unit.env.VMPLAN_JOB: variable name "VMPLAN_JOB" is reserved: names starting with VMPLAN_ are set by vmplan',
    ],
  },
  {
    name: 'env value that is a mapping',
    yaml: `version: 1
jobs:
  unit:
    run: x
    executor: host
    env: { A: { b: 1 } }
`,
    errors: [
      '.github/vmplan.yml:6:15 jobs.unit.env.A: expected a string, number or boolean, found a mapping',
    ],
  },
  {
    name: 'a secret that is also a literal env variable',
    yaml: `version: 1
jobs:
  unit:
    run: x
    executor: host
    env: { TOKEN: abc }
    secrets: [TOKEN]
`,
    errors: [
      '.github/vmplan.yml:7:15 jobs.unit.secrets[0]: "TOKEN" is both a literal env variable and a secret: keep one',
    ],
  },
  {
    name: 'working directory that is a glob',
    yaml: `version: 1
jobs:
  unit: { run: x, executor: host, working-directory: "packages/*" }
`,
    errors: [
      '.github/vmplan.yml:3:54 jobs.unit.working-directory: expected a plain path, found the glob "packages/*"',
    ],
  },
  {
    name: 'top level is a list',
    yaml: `- version: 1
`,
    errors: ['.github/vmplan.yml:1:1: expected a mapping with "version" and "jobs" at the top level'],
  },
  {
    name: 'YAML syntax error',
    yaml: `version: 1
jobs:
  unit: { run: x
`,
    errors: [],
  },
];

describe('jobs file errors', () => {
  it('has at least 25 distinct bad inputs', () => {
    expect(new Set(cases.map((c) => c.yaml)).size).toBeGreaterThanOrEqual(25);
  });

  for (const testCase of cases.filter((c) => c.errors.length > 0)) {
    it(testCase.name, () => {
      expect(jobsErrors(testCase.yaml)).toEqual(testCase.errors);
    });
  }

  it('reports a YAML syntax error with its position', () => {
    const [first] = jobsErrors(cases.find((c) => c.name === 'YAML syntax error')!.yaml);
    expect(first).toMatch(/^\.github\/vmplan\.yml:4:1: invalid YAML: /);
  });

  it('reports every problem of a file in one pass, in file order', () => {
    const errors = jobsErrors(`version: 1
jobs:
  build: { run: make, executor: docker }
  unit:
    run: make test
    executor: host
    needs: [buidl]
    timeout-minutes: 0
`);
    expect(errors).toEqual([
      '.github/vmplan.yml:3:33 jobs.build.executor: expected one of "host", "vfkit", "qemu", found "docker"',
      '.github/vmplan.yml:7:13 jobs.unit.needs[0]: unknown job "buidl" (did you mean "build"?)',
      '.github/vmplan.yml:8:22 jobs.unit.timeout-minutes: expected a positive number of minutes, found 0',
    ]);
  });

  it('locates problems in JSON files too', () => {
    const errors = jobsErrors(
      '{\n  "version": 1,\n  "jobs": {\n    "unit": { "run": "x", "executor": "host", "neds": [] }\n  }\n}\n',
      'vmplan.json',
    );
    expect(errors).toEqual(['vmplan.json:4:47 jobs.unit.neds: unknown key "neds" (did you mean "needs"?)']);
  });

  it('says an empty file is empty', () => {
    expect(jobsErrors('')).toEqual([
      '.github/vmplan.yml: the file is empty: expected a mapping with "version" and "jobs"',
    ]);
  });

  it('accepts a complete, valid file including anchors and merge keys', () => {
    const config = jobs(`version: 1
${IMAGE}defaults:
  image: debian
  timeout-minutes: 2.5
  env: &common { CI: true, LEVEL: 3 }
jobs:
  build: { run: make, artifacts: ["target/**"] }
  unit:
    run: make test
    needs: build
    env: { <<: *common, EXTRA: "1" }
    secrets: [NPM_TOKEN]
    reports: { junit: ["reports/*.xml"] }
`);
    expect(Object.keys(config.jobs)).toEqual(['build', 'unit']);
    expect(config.jobs.unit!.env).toEqual({ CI: true, LEVEL: 3, EXTRA: '1' });
    expect(config.defaults?.['timeout-minutes']).toBe(2.5);
  });
});
