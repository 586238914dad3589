// What a build image's cache key is made of, on real files: an untrusted run boots a build image only from the
// entry a trusted run made of that very definition and those very input files, so every file the inputs match
// (dot files too) must move the key, while nothing else (git's own folder, node_modules, a file outside the
// repository reached through a link) may be read into it.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { filesNamedIn, ImageCache, imageCacheKey, matchingFiles } from '../../src/images/cache.js';
import { buildPlan } from '../../src/plan/build.js';
import type { PrepareNode } from '../../src/plan/schema.js';
import { sha256 } from '../../src/util/canonical-json.js';
import { VMPLAN_VERSION } from '../../src/version.js';
import { context, jobs } from '../support/jobs.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-image-cache-key-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** The prepare node of a build image with `run` and `inputs`. */
function buildNode(run: string, inputs: string[]): PrepareNode {
  const plan = buildPlan(
    jobs(
      `version: 1\nimages:\n  g:\n    arch: arm64\n    build:\n      run: ${JSON.stringify(run)}\n      inputs: ${JSON.stringify(inputs)}\njobs:\n  t: { image: g, executor: qemu, run: "true" }\n`,
    ),
    context(),
  );
  return plan.nodes.find((node): node is PrepareNode => node.kind === 'prepare')!;
}

/** Writes files (relative path → text) under root. */
function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

describe("a build image's cache key", () => {
  it('moves with every file its inputs match, dot files and dot folders included', async () => {
    const root = join(folder, 'dots');
    write(root, { 'ci/guest/setup.sh': 'v1', 'ci/guest/.env': 'A=1', 'ci/guest/.conf/apt.list': 'deb 1' });
    const node = buildNode('make-image --out "$VMPLAN_IMAGE_OUT"', ['ci/guest/**']);
    expect(matchingFiles(root, node.type === 'build' ? node.inputs : [])).toEqual([
      'ci/guest/.conf/apt.list',
      'ci/guest/.env',
      'ci/guest/setup.sh',
    ]);
    const keys = [(await imageCacheKey(node, root)).key];
    for (const [path, text] of [
      ['ci/guest/.env', 'A=2'],
      ['ci/guest/.conf/apt.list', 'deb 2'],
      ['ci/guest/setup.sh', 'v2'],
    ] as const) {
      write(root, { [path]: text });
      keys.push((await imageCacheKey(node, root)).key);
    }
    expect(new Set(keys).size).toBe(4);
  });

  it("is keyed by vmplan's version when its command runs vmplan's own builder, wherever in the command", async () => {
    // vmplan's scripts and guest agent go into such an image: a new vmplan must build it again.
    const root = join(folder, 'builder');
    mkdirSync(root, { recursive: true });
    const version = { path: `vmplan ${VMPLAN_VERSION}`, sha256: sha256(VMPLAN_VERSION) };
    for (const run of [
      'vmplan image build debian --out "$VMPLAN_IMAGE_OUT"',
      'cd ci && vmplan image build debian --out "$VMPLAN_IMAGE_OUT"',
      'npx vmplan image build debian --out "$VMPLAN_IMAGE_OUT"',
    ])
      expect((await imageCacheKey(buildNode(run, []), root)).inputs, run).toEqual([version]);
    expect((await imageCacheKey(buildNode('./myvmplan.sh "$VMPLAN_IMAGE_OUT"', []), root)).inputs).toEqual(
      [],
    );
  });

  it('reads the files its command names, never the files it writes (redirections, tee, tee -a)', () => {
    const root = join(folder, 'writes');
    write(root, {
      'scripts/make.sh': 'make',
      'notes.txt': 'notes',
      'out.log': '',
      'also.log': '',
      'plain.log': '',
    });
    expect(
      filesNamedIn(
        'bash scripts/make.sh --fast notes.txt > out.log 2>&1 | tee -a also.log; cat notes.txt | tee plain.log',
        root,
      ),
    ).toEqual(['notes.txt', 'scripts/make.sh']);
  });

  it("never reads git's folder, node_modules or .vmplan into it, whatever the inputs match", async () => {
    const root = join(folder, 'skipped');
    write(root, {
      'setup.sh': 'v1',
      '.git/HEAD': 'ref: refs/heads/main',
      'node_modules/x/index.js': '1',
      '.vmplan/runs/r1/run.json': '{}',
      'sub/.git/config': '[core]',
    });
    const node = buildNode('make-image', ['**']);
    expect(matchingFiles(root, ['**'])).toEqual(['setup.sh']);
    const before = (await imageCacheKey(node, root)).key;
    write(root, {
      '.git/HEAD': 'ref: refs/heads/other',
      'node_modules/x/index.js': '2',
      '.vmplan/runs/r2/run.json': '{}',
    });
    expect((await imageCacheKey(node, root)).key).toBe(before);
  });

  it('reads a file its command names only inside the repository: a link out of it is not part of the key', async () => {
    const root = join(folder, 'linked');
    write(root, { 'ci/make.sh': 'v1' });
    const outside = join(folder, 'outside-secret.txt');
    writeFileSync(outside, 'HOST SECRET');
    symlinkSync(outside, join(root, 'ci/host.txt'));
    expect(filesNamedIn('bash ci/make.sh ci/host.txt /etc/hostname ../outside-secret.txt', root)).toEqual([
      'ci/make.sh',
    ]);
    const node = buildNode('bash ci/make.sh ci/host.txt', []);
    const { key, inputs } = await imageCacheKey(node, root);
    expect(inputs.map((input) => input.path)).toEqual(['ci/make.sh']);
    writeFileSync(outside, 'ANOTHER HOST SECRET');
    expect((await imageCacheKey(node, root)).key).toBe(key);
  });
});

describe("the image cache's entries", () => {
  const lockOptions = { signal: new AbortController().signal, onWait: () => undefined };
  const files = async (out: string) => {
    writeFileSync(join(out, 'kernel'), 'k');
    writeFileSync(join(out, 'initrd'), 'i');
  };
  const describeEntry = { image: 'g', type: 'build' as const, inputs: [] };

  it('a build that fails leaves nothing in the cache, and the next one builds afresh', async () => {
    const store = mkdtempSync(join(folder, 'cache-'));
    const cache = new ImageCache(store);
    const failing = cache.getOrBuild(
      'k1',
      describeEntry,
      async (out) => {
        writeFileSync(join(out, 'kernel'), 'half a kernel');
        throw new Error('the build failed');
      },
      lockOptions,
    );
    await expect(failing).rejects.toThrow('the build failed');
    expect(readdirSync(store).filter((name) => !name.endsWith('.lock'))).toEqual([]);
    expect(cache.lookup('k1')).toBeUndefined();
    expect((await cache.getOrBuild('k1', describeEntry, files, lockOptions)).cached).toBe(false);
    expect((await cache.getOrBuild('k1', describeEntry, files, lockOptions)).cached).toBe(true);
  });

  it('an entry whose record is damaged (cut short, or of another shape) is built again, not served', async () => {
    const store = mkdtempSync(join(folder, 'cache-'));
    const cache = new ImageCache(store);
    await cache.getOrBuild('k2', describeEntry, files, lockOptions);
    for (const damaged of ['{"key":"k2","ima', '{"key":"k2"}', '[]']) {
      writeFileSync(join(cache.entryDir('k2'), 'entry.json'), damaged);
      expect(cache.lookup('k2'), damaged).toBeUndefined();
      expect((await cache.getOrBuild('k2', describeEntry, files, lockOptions)).cached, damaged).toBe(false);
    }
  });
});
