import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { buildPlan, planIdOf } from '../../src/plan/build.js';
import { firstMatchingFile } from '../../src/plan/paths-filter.js';
import { type ExecuteNode, type PlanNode, PlanSchema, type PrepareNode } from '../../src/plan/schema.js';
import { context, jobs } from '../support/jobs.js';

const WORKSPACE = jobs(`version: 1
images:
  debian:
    arch: arm64
    cpus: 4
    memory: 4096
    build: { run: ./guest/build.sh, inputs: [guest/**] }
  alpine:
    arch: arm64
    kernel: images/alpine/Image
    initrd: images/alpine/initrd
defaults:
  image: debian
  timeout-minutes: 20
  env: { CI: "true", LEVEL: 1 }
jobs:
  build:
    run: cargo build
  unit:
    run: cargo test --lib
    needs: build
    env: { LEVEL: 2 }
    secrets: [CARGO_TOKEN]
    caches: { target: /home/vmplan/target, cargo: /home/vmplan/.cargo/registry }
  integration:
    run: cargo test --test '*'
    needs: [build, unit]
    memory: 8192
  lint:
    run: cargo clippy
    image: alpine
    paths: ["src/**", "!src/generated/**"]
  docs:
    run: mdbook build
    executor: host
    paths: [docs/**]
`);

const byId = (nodes: PlanNode[], id: string) => nodes.find((node) => node.id === id)!;
const execute = (nodes: PlanNode[], id: string) => byId(nodes, `job:${id}`) as ExecuteNode;

describe('buildPlan', () => {
  it('makes one prepare node per distinct image, shared by every job using it', () => {
    const plan = buildPlan(WORKSPACE, context());
    const prepares = plan.nodes.filter((node): node is PrepareNode => node.kind === 'prepare');
    expect(prepares.map((node) => [node.id, node.type, node.usedBy])).toEqual([
      ['image:alpine', 'files', ['job:lint']],
      ['image:debian', 'build', ['job:build', 'job:integration', 'job:unit']],
    ]);
    expect(execute(plan.nodes, 'unit').dependsOn).toEqual(['image:debian', 'job:build']);
  });

  it('gives a host job no image and no prepare node', () => {
    const plan = buildPlan(WORKSPACE, context());
    const docs = execute(plan.nodes, 'docs');
    expect(docs).toMatchObject({
      type: 'host_command',
      executor: 'host',
      image: null,
      cpus: null,
      dependsOn: [],
    });
  });

  it('resolves defaults, overrides and needs into execute nodes', () => {
    const plan = buildPlan(WORKSPACE, context());
    expect(execute(plan.nodes, 'unit')).toEqual({
      kind: 'execute',
      type: 'vm_command',
      id: 'job:unit',
      description: 'Run job "unit"',
      executor: 'vfkit',
      dependsOn: ['image:debian', 'job:build'],
      job: 'unit',
      needs: ['build'],
      image: 'debian',
      command: 'cargo test --lib',
      workingDirectory: '.',
      runAsRoot: false,
      timeoutMinutes: 20,
      writableWorkspace: false,
      env: { CI: 'true', LEVEL: '2' },
      secrets: ['CARGO_TOKEN'],
      cpus: 4,
      memory: 4096,
      artifacts: [],
      reports: {},
      caches: [
        { name: 'cargo', guestPath: '/home/vmplan/.cargo/registry' },
        { name: 'target', guestPath: '/home/vmplan/target' },
      ],
    });
    expect(execute(plan.nodes, 'integration').memory).toBe(8192);
    expect(execute(plan.nodes, 'integration').caches).toEqual([]);
  });

  it('records retries only for jobs that retry: defaults inherited, causes in a fixed order, 0 turns them off', () => {
    const plan = buildPlan(
      jobs(`version: 1
defaults: { executor: host, retries: 2 }
jobs:
  inherits: { run: x }
  own: { run: x, retries: 1, retry-on: [timeout, failure] }
  off: { run: x, retries: 0 }
`),
      context(),
    );
    expect(execute(plan.nodes, 'inherits').retry).toEqual({
      retries: 2,
      on: ['failure', 'timeout', 'infrastructure'],
    });
    expect(execute(plan.nodes, 'own').retry).toEqual({ retries: 1, on: ['failure', 'timeout'] });
    expect('retry' in execute(plan.nodes, 'off')).toBe(false);
    const reordered = buildPlan(
      jobs(`version: 1
defaults: { executor: host, retries: 2 }
jobs:
  inherits: { run: x }
  own: { run: x, retries: 1, retry-on: [failure, timeout] }
  off: { run: x, retries: 0 }
`),
      context(),
    );
    // The order retry-on lists causes in does not change the plan.
    expect(reordered.nodes).toEqual(plan.nodes);
    expect(reordered.planId).toBe(plan.planId);
  });

  it('records outputs, and for each job what it receives from the jobs it needs directly', () => {
    const plan = buildPlan(
      jobs(`version: 1
defaults: { executor: host }
jobs:
  build: { run: x, outputs: [dist/, 'bin/*'] }
  gen: { run: x, outputs: [gen/] }
  plain: { run: x }
  unit: { run: x, needs: [plain, gen, build] }
  e2e: { run: x, needs: unit }
`),
      context(),
    );
    expect(execute(plan.nodes, 'build').outputs).toEqual(['dist/', 'bin/*']);
    expect(execute(plan.nodes, 'unit').receives).toEqual([
      { from: 'build', paths: ['dist/', 'bin/*'] },
      { from: 'gen', paths: ['gen/'] },
    ]);
    // Direct needs only; no outputs, no field.
    expect('receives' in execute(plan.nodes, 'e2e')).toBe(false);
    expect('outputs' in execute(plan.nodes, 'plain')).toBe(false);
    expect(() =>
      buildPlan(jobs('version: 1\njobs:\n  a: { run: x, executor: host, outputs: [../up] }\n'), context()),
    ).toThrow(/jobs\.a\.outputs\[0\]/);
  });

  it('orders nodes in stages, ties broken by id', () => {
    const plan = buildPlan(WORKSPACE, context());
    expect(plan.stages).toEqual([
      ['image:alpine', 'image:debian', 'job:docs'],
      ['job:build', 'job:lint'],
      ['job:unit'],
      ['job:integration'],
    ]);
    expect(plan.nodes.map((node) => node.id)).toEqual(plan.stages.flat());
  });

  it('records preconditions: executors, vfkit host architecture and secret names', () => {
    const plan = buildPlan(WORKSPACE, context());
    expect(plan.preconditions).toEqual([
      { kind: 'executor', executor: 'host', nodes: ['job:docs'] },
      {
        kind: 'executor',
        executor: 'vfkit',
        nodes: ['job:build', 'job:integration', 'job:lint', 'job:unit'],
      },
      {
        kind: 'host-arch',
        arch: 'arm64',
        nodes: ['job:lint', 'job:build', 'job:integration', 'job:unit'].sort(),
      },
      { kind: 'secret', name: 'CARGO_TOKEN', nodes: ['job:unit'] },
    ]);
  });

  it('lists preconditions by executor, arch and secret name, each with its nodes by id, whatever order the jobs run in', () => {
    // zz-build runs first and names ZED_TOKEN; aa-deploy runs after it, on the host, and names both secrets.
    const plan = buildPlan(
      jobs(`version: 1
images:
  debian: { arch: arm64, kernel: k/Image, initrd: k/initrd }
defaults: { image: debian }
jobs:
  zz-build: { run: make, secrets: [ZED_TOKEN] }
  aa-deploy: { run: deploy, executor: host, needs: zz-build, secrets: [ZED_TOKEN, API_TOKEN] }
`),
      context(),
    );
    expect(plan.nodes.map((node) => node.id)).toEqual(['image:debian', 'job:zz-build', 'job:aa-deploy']);
    expect(plan.preconditions).toEqual([
      { kind: 'executor', executor: 'host', nodes: ['job:aa-deploy'] },
      { kind: 'executor', executor: 'vfkit', nodes: ['job:zz-build'] },
      { kind: 'host-arch', arch: 'arm64', nodes: ['job:zz-build'] },
      { kind: 'secret', name: 'API_TOKEN', nodes: ['job:aa-deploy'] },
      { kind: 'secret', name: 'ZED_TOKEN', nodes: ['job:aa-deploy', 'job:zz-build'] },
    ]);
  });

  it('produces a plan that passes its own schema', () => {
    expect(PlanSchema.safeParse(buildPlan(WORKSPACE, context())).success).toBe(true);
  });

  describe('selection with --only', () => {
    it('adds what the selected jobs need and excludes the rest with a reason', () => {
      const plan = buildPlan(WORKSPACE, context({ only: ['integration'] }));
      expect(plan.nodes.map((node) => node.id)).toEqual([
        'image:debian',
        'job:build',
        'job:unit',
        'job:integration',
      ]);
      expect(plan.excluded).toEqual([
        { job: 'docs', reason: 'not-selected', message: 'not selected (--only integration)' },
        { job: 'lint', reason: 'not-selected', message: 'not selected (--only integration)' },
      ]);
      expect(plan.scope.only).toEqual(['integration']);
    });

    it('names the selection sorted and once, and gives a job it leaves out that reason even when its paths match nothing', () => {
      const changes = { known: true as const, source: 'test', files: ['Cargo.toml'] };
      const plan = buildPlan(WORKSPACE, context({ only: ['unit', 'lint', 'unit'], changes }));
      expect(plan.scope.only).toEqual(['lint', 'unit']);
      expect(plan.excluded).toEqual([
        { job: 'docs', reason: 'not-selected', message: 'not selected (--only lint, unit)' },
        { job: 'integration', reason: 'not-selected', message: 'not selected (--only lint, unit)' },
      ]);
    });

    it('rejects an unknown job with a suggestion', () => {
      expect(() => buildPlan(WORKSPACE, context({ only: ['unti'] }))).toThrow(
        '--only: unknown job "unti" (did you mean "unit"?)',
      );
    });
  });

  describe('paths filters', () => {
    it('excludes jobs whose paths match no changed file, honouring "!" patterns', () => {
      const changes = { known: true as const, source: 'test', files: ['src/generated/api.rs', 'Cargo.toml'] };
      const plan = buildPlan(WORKSPACE, context({ changes }));
      expect(plan.excluded.map((entry) => [entry.job, entry.reason])).toEqual([
        ['docs', 'paths'],
        ['lint', 'paths'],
      ]);
      expect(plan.excluded[1]!.message).toBe(
        'no changed file matches paths (src/**, !src/generated/**); 2 file(s) changed',
      );
    });

    it('keeps a job when one changed file matches', () => {
      const changes = { known: true as const, source: 'test', files: ['src/main.rs'] };
      const plan = buildPlan(WORKSPACE, context({ changes }));
      expect(plan.nodes.some((node) => node.id === 'job:lint')).toBe(true);
    });

    it('matches files in dot folders and dot files as GitHub does (.github/**, **/*.yml), and names the first file that counts', () => {
      expect(firstMatchingFile(['**/*.yml'], ['README.md', '.github/vmplan.yml'])).toBe('.github/vmplan.yml');
      expect(firstMatchingFile(['src/**'], ['src/.env.example'])).toBe('src/.env.example');
      expect(firstMatchingFile(['*'], ['.gitignore'])).toBe('.gitignore');
      expect(firstMatchingFile(['src/**', '!src/gen/**'], ['src/gen/a.rs', 'src/a.rs', 'src/b.rs'])).toBe(
        'src/a.rs',
      );
      expect(firstMatchingFile(['src/**', '!src/gen/**'], ['src/gen/a.rs', 'docs/a.md'])).toBeUndefined();
    });

    it('filters nothing when the changed files are unknown', () => {
      const plan = buildPlan(WORKSPACE, context({ changes: { known: false, reason: 'shallow clone' } }));
      expect(plan.excluded).toEqual([]);
      expect(plan.scope.changes).toEqual({ known: false, reason: 'shallow clone' });
    });

    it('excludes jobs that need an excluded job, naming it', () => {
      const config = jobs(`version: 1
defaults: { executor: host }
jobs:
  gen: { run: x, paths: [schema/**] }
  check: { run: y, needs: gen }
  publish: { run: z, needs: check }
`);
      const plan = buildPlan(
        config,
        context({ changes: { known: true, source: 'test', files: ['README.md'] } }),
      );
      expect(plan.nodes).toEqual([]);
      expect(plan.excluded).toEqual([
        { job: 'check', reason: 'needs-excluded', message: 'needs "gen", which was excluded (paths)' },
        {
          job: 'gen',
          reason: 'paths',
          message: 'no changed file matches paths (schema/**); 1 file(s) changed',
        },
        { job: 'publish', reason: 'needs-excluded', message: 'needs "check", which was excluded' },
      ]);
    });

    it('never filters out a job the user named with --only', () => {
      const changes = { known: true as const, source: 'test', files: ['README.md'] };
      const plan = buildPlan(WORKSPACE, context({ changes, only: ['lint'] }));
      expect(plan.nodes.map((node) => node.id)).toEqual(['image:alpine', 'job:lint']);
    });
  });

  describe('executors', () => {
    it('uses the platform default when the file names none', () => {
      const plan = buildPlan(WORKSPACE, context({ defaultExecutor: 'qemu' }));
      expect(execute(plan.nodes, 'build').executor).toBe('qemu');
      expect(plan.scope.defaultExecutor).toBe('qemu');
    });

    it('runs everything on the host when forced to host, without prepare nodes', () => {
      const plan = buildPlan(WORKSPACE, context({ executor: 'host' }));
      expect(plan.nodes.every((node) => node.kind === 'execute' && node.executor === 'host')).toBe(true);
      expect(plan.scope.executor).toBe('host');
    });

    it('replaces VM executors but keeps host jobs on the host when forced to a VM executor', () => {
      const plan = buildPlan(WORKSPACE, context({ executor: 'qemu' }));
      expect(execute(plan.nodes, 'build').executor).toBe('qemu');
      expect(execute(plan.nodes, 'docs').executor).toBe('host');
    });

    it('refuses a VM job without an image, naming the job', () => {
      const config = jobs('version: 1\njobs:\n  unit: { run: x }\n');
      try {
        buildPlan(config, context({ defaultExecutor: 'qemu' }));
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        expect((error as InputError).problems).toEqual([
          {
            path: ['jobs', 'unit'],
            at: 'key',
            message:
              'runs on qemu, which needs a guest image: set jobs.unit.image or defaults.image (or run with --executor host)',
          },
        ]);
      }
    });
  });

  it('computes the plan id from the body, leaving createdAt out', () => {
    const a = buildPlan(WORKSPACE, context({ createdAt: '2026-01-01T00:00:00.000Z' }));
    const b = buildPlan(WORKSPACE, context({ createdAt: '2026-06-01T00:00:00.000Z' }));
    expect(a.planId).toBe(b.planId);
    expect(planIdOf(a)).toBe(a.planId);
    const other = buildPlan(WORKSPACE, context({ source: { ...context().source, commit: 'c'.repeat(40) } }));
    expect(other.planId).not.toBe(a.planId);
  });

  it('keys image caches on what makes the files, not on cpus or memory', () => {
    const a = buildPlan(
      jobs(
        'version: 1\nimages:\n  d: { arch: arm64, nix: .#g, cpus: 2 }\njobs:\n  j: { run: x, image: d }\n',
      ),
      context(),
    );
    const b = buildPlan(
      jobs(
        'version: 1\nimages:\n  d: { arch: arm64, nix: .#g, cpus: 8 }\njobs:\n  j: { run: x, image: d }\n',
      ),
      context(),
    );
    const c = buildPlan(
      jobs(
        'version: 1\nimages:\n  d: { arch: arm64, nix: .#h, cpus: 8 }\njobs:\n  j: { run: x, image: d }\n',
      ),
      context(),
    );
    const key = (plan: typeof a) => (plan.nodes[0] as PrepareNode).cacheKey;
    expect(key(a)).toBe(key(b));
    expect(key(a)).not.toBe(key(c));
  });

  it('plans a long dependency chain', () => {
    const lines = ['version: 1', 'defaults: { executor: host }', 'jobs:', '  j0: { run: x }'];
    for (let i = 1; i < 2000; i++) lines.push(`  j${i}: { run: x, needs: j${i - 1} }`);
    const plan = buildPlan(jobs(lines.join('\n')), context());
    expect(plan.stages).toHaveLength(2000);
    expect(plan.stages[1999]).toEqual(['job:j1999']);
  });
});
