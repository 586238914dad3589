import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import { renderPlan } from '../../src/plan/render.js';
import type { Plan } from '../../src/plan/schema.js';
import { VMPLAN_VERSION } from '../../src/version.js';
import { context, jobs } from '../support/jobs.js';

// One jobs file with every kind of image and every job attribute `vmplan plan` and `vmplan show` print.
const CONFIG = jobs(`version: 1
images:
  debian:
    arch: arm64
    build: { run: "./guest/build.sh --with-a-very-long-argument-list that goes on and on and on until it passes eighty\\nsecond line", inputs: [guest/**] }
  alpine:
    arch: arm64
    kernel: images/alpine/Image
    initrd: images/alpine/initrd
  nixed:
    arch: arm64
    nix: .#guest
  pulled:
    arch: arm64
    oci: "ghcr.io/acme/guest:1.2@sha256:${'c'.repeat(64)}"
jobs:
  build:
    run: cargo build
    image: pulled
  unit:
    run: |
      cargo test --lib
      echo done
    needs: build
    secrets: [CARGO_TOKEN, NPM_TOKEN]
    run-as-root: true
    image: nixed
  integration:
    run: cargo test
    needs: [build, unit]
    memory: 8192
    cpus: 3
    image: debian
    timeout-minutes: 7
    writable-workspace: true
  lint:
    run: cargo clippy
    image: alpine
    paths: ["src/**"]
  docs:
    run: mdbook build
    executor: host
    paths: [docs/**]
  a-job-with-a-long-name:
    run: make
    image: debian
`);

const cacheKey = (plan: Plan, id: string) => {
  const node = plan.nodes.find((candidate) => candidate.id === id);
  return node?.kind === 'prepare' ? node.cacheKey.slice(0, 8) : 'missing';
};

describe('renderPlan', () => {
  it('prints the source, scope, every stage with its nodes, exclusions and requirements', () => {
    const plan = buildPlan(
      CONFIG,
      context({ changes: { known: true, source: 'git diff main...HEAD', files: ['src/a.rs', 'README.md'] } }),
    );
    const key = (id: string) => cacheKey(plan, id);
    expect(renderPlan(plan, { env: { CARGO_TOKEN: 'x', NPM_TOKEN: '' } })).toBe(
      `Plan ${plan.planId.slice(0, 12)}  (schema 2, vmplan ${VMPLAN_VERSION}, created 2026-11-29T10:23:00.000Z)
  5 job(s), 4 image(s), 4 stage(s), 1 excluded
Source:    acme/app @ aaaaaaaaaaaa (refs/heads/main, push)
Jobs file: .github/vmplan.yml (sha256 bbbbbbbbbbbb)
Selection: all jobs
Changes:   2 changed file(s) from git diff main...HEAD

Stage 1
  image:alpine                prepare arm64  files images/alpine/Image  [cache ${key('image:alpine')}, used by 1]
  image:debian                prepare arm64  build: ./guest/build.sh --with-a-very-long-argument-list that goes on and on and on ...  (+1 line(s))  [cache ${key('image:debian')}, used by 2]
  image:nixed                 prepare arm64  nix .#guest  [cache ${key('image:nixed')}, used by 1]
  image:pulled                prepare arm64  oci ghcr.io/acme/guest:1.2@sha256:cccccccccccc  [cache ${key('image:pulled')}, used by 1]

Stage 2
  job:a-job-with-a-long-name  vfkit  debian 2 cpu 2048 MiB  timeout 60m
                              $ make
  job:build                   vfkit  pulled 2 cpu 2048 MiB  timeout 60m
                              $ cargo build
  job:lint                    vfkit  alpine 2 cpu 2048 MiB  timeout 60m
                              $ cargo clippy

Stage 3
  job:unit                    vfkit  nixed 2 cpu 2048 MiB  timeout 60m  needs build  secrets CARGO_TOKEN, NPM_TOKEN  as root
                              $ cargo test --lib  (+1 line(s))

Stage 4
  job:integration             vfkit  debian 3 cpu 8192 MiB  timeout 7m  needs build, unit  writable workspace
                              $ cargo test

Excluded
  docs  no changed file matches paths (docs/**); 2 file(s) changed

Requires
  the vfkit executor (5 node(s))
  an arm64 host (vfkit runs guests of the host's architecture; 5 node(s))
  secret CARGO_TOKEN in the environment (job:unit) — set here
  secret NPM_TOKEN in the environment (job:unit) — not set here
`,
    );
  });

  it('says what was selected and forced, names a local source, and leaves secrets unjudged without an environment', () => {
    const plan = buildPlan(
      CONFIG,
      context({
        only: ['unit'],
        executor: 'qemu',
        source: { repository: null, commit: null, ref: null, event: null },
      }),
    );
    const key = (id: string) => cacheKey(plan, id);
    expect(renderPlan(plan)).toBe(
      `Plan ${plan.planId.slice(0, 12)}  (schema 2, vmplan ${VMPLAN_VERSION}, created 2026-11-29T10:23:00.000Z)
  2 job(s), 2 image(s), 3 stage(s), 4 excluded
Source:    (local)
Jobs file: .github/vmplan.yml (sha256 bbbbbbbbbbbb)
Selection: only unit (and what they need)
Changes:   unknown (test); paths filters not applied
Executor:  qemu (forced)

Stage 1
  image:nixed   prepare arm64  nix .#guest  [cache ${key('image:nixed')}, used by 1]
  image:pulled  prepare arm64  oci ghcr.io/acme/guest:1.2@sha256:cccccccccccc  [cache ${key('image:pulled')}, used by 1]

Stage 2
  job:build     qemu   pulled 2 cpu 2048 MiB  timeout 60m
                $ cargo build

Stage 3
  job:unit      qemu   nixed 2 cpu 2048 MiB  timeout 60m  needs build  secrets CARGO_TOKEN, NPM_TOKEN  as root
                $ cargo test --lib  (+1 line(s))

Excluded
  a-job-with-a-long-name  not selected (--only unit)
  docs                    not selected (--only unit)
  integration             not selected (--only unit)
  lint                    not selected (--only unit)

Requires
  the qemu executor (2 node(s))
  secret CARGO_TOKEN in the environment (job:unit)
  secret NPM_TOKEN in the environment (job:unit)
`,
    );
  });

  it('pads short node ids to a minimum column, and prints a host-only plan without images', () => {
    const plan = buildPlan(
      jobs('version: 1\njobs:\n  a:\n    run: echo hi\n    executor: host\n'),
      context({ source: { repository: 'acme/app', commit: null, ref: 'refs/pull/7/merge', event: null } }),
    );
    expect(renderPlan(plan)).toBe(
      `Plan ${plan.planId.slice(0, 12)}  (schema 2, vmplan ${VMPLAN_VERSION}, created 2026-11-29T10:23:00.000Z)
  1 job(s), 0 image(s), 1 stage(s), 0 excluded
Source:    acme/app (refs/pull/7/merge)
Jobs file: .github/vmplan.yml (sha256 bbbbbbbbbbbb)
Selection: all jobs
Changes:   unknown (test); paths filters not applied

Stage 1
  job:a     host   timeout 60m
            $ echo hi

Requires
  the host executor (1 node(s))
`,
    );
  });
});

describe('renderPlan: long commands', () => {
  it('keeps a first line of 80 characters whole and cuts one of 81 to 77 and "..."', () => {
    const eighty = `echo ${'x'.repeat(75)}`;
    const eightyOne = `echo ${'y'.repeat(76)}`;
    const plan = buildPlan(
      jobs(
        `version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: "${eighty}" }\n  b: { run: "${eightyOne}" }\n`,
      ),
      context(),
    );
    const text = renderPlan(plan);
    expect(text).toContain(`  $ ${eighty}\n`);
    expect(text).toContain(`  $ ${eightyOne.slice(0, 77)}...\n`);
    expect(text).not.toContain(eightyOne);
  });
});

describe('renderPlan: matrix jobs', () => {
  it('lists matrix jobs by name, whatever stage their variants run in', () => {
    // "zeta" runs first (stage 1) and "alpha" needs it (stage 2): the plan meets zeta first, the list names alpha first.
    const plan = buildPlan(
      jobs(`version: 1
defaults: { executor: host }
jobs:
  zeta:
    matrix: { n: [1, 2] }
    run: echo \${{ matrix.n }}
  alpha:
    matrix: { m: [x] }
    run: echo \${{ matrix.m }}
    needs: zeta
`),
      context(),
    );
    const text = renderPlan(plan);
    expect(text).toContain(
      'Matrix jobs\n  alpha (1 variant(s))\n    alpha-x  alpha (x)\n  zeta (2 variant(s))\n    zeta-n-1  zeta (n 1)\n',
    );
  });
});

describe('renderPlan: retries, outputs and what a job gets', () => {
  it("names a job's retries and outputs, and on each job that needs it which outputs it gets from where", () => {
    const plan = buildPlan(
      jobs(`version: 1
defaults: { executor: host }
jobs:
  build: { run: make, outputs: [dist/, docs/api/], retries: 2, retry-on: [timeout, failure] }
  e2e: { run: make e2e, needs: build }
`),
      context(),
    );
    const text = renderPlan(plan);
    expect(text).toContain(
      '\n  job:build  host   timeout 60m  retries 2 on failure/timeout  outputs dist/, docs/api/\n',
    );
    expect(text).toContain(
      '\n  job:e2e    host   timeout 60m  needs build  gets dist/, docs/api/ from build\n',
    );
  });

  it('prints no Requires section for a plan that runs nothing (every job filtered out by paths)', () => {
    const plan = buildPlan(
      jobs('version: 1\njobs:\n  docs: { run: make docs, executor: host, paths: [docs/**] }\n'),
      context({ changes: { known: true, source: 'git diff', files: ['src/a.c'] } }),
    );
    expect(plan.preconditions).toEqual([]);
    expect(renderPlan(plan)).toBe(
      `Plan ${plan.planId.slice(0, 12)}  (schema 2, vmplan ${VMPLAN_VERSION}, created 2026-11-29T10:23:00.000Z)
  0 job(s), 0 image(s), 0 stage(s), 1 excluded
Source:    acme/app @ aaaaaaaaaaaa (refs/heads/main, push)
Jobs file: .github/vmplan.yml (sha256 bbbbbbbbbbbb)
Selection: all jobs
Changes:   1 changed file(s) from git diff

Excluded
  docs  no changed file matches paths (docs/**); 1 file(s) changed
`,
    );
  });
});

describe('renderPlan: selection and commands with blank lines', () => {
  it('names every selected job, and shows the first line of a command that says something', () => {
    const plan = buildPlan(
      jobs(
        'version: 1\ndefaults: { executor: host }\njobs:\n  lint: { run: make lint }\n  unit: { run: x }\n',
      ),
      context({ only: ['unit', 'lint'] }),
    );
    // The planner trims commands; a plan made elsewhere (vmplan show of any plan.json) may not have.
    const made = structuredClone(plan);
    const lint = made.nodes.find((node) => node.id === 'job:lint');
    if (lint?.kind === 'execute') lint.command = '\n\nmake lint\n';
    const text = renderPlan(made);
    expect(text).toContain('\nSelection: only lint, unit (and what they need)\n');
    expect(text).toContain('  $ make lint\n');
  });
});
