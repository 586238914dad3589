// Guest images through a real registry: pushed as an OCI artifact with the root disk in content-addressed
// chunks, pulled back byte for byte and sparse; a changed image moves only its changed chunks.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/oci/client.js';
import { CHUNK_BYTES, pullGuestImage, pushGuestImage } from '../../src/oci/guest-image.js';
import { runVmplan } from '../support/cli.js';
import { ActionHarness, makeWorkspace } from '../support/github/action-harness.js';
import { parseWorkflowCommands } from '../support/github/workflow-commands.js';
import { commandWorks, prerequisite } from '../support/prerequisites.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-oci-image-'));
let registry: TestRegistry;
const available = prerequisite(
  'docker-registry (the docker-registry package)',
  commandWorks('docker-registry', ['--version']),
);
beforeAll(async () => {
  if (available) registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
  rmSync(folder, { recursive: true, force: true });
});

const DISK_BYTES = 8 * CHUNK_BYTES;

/** Writes `bytes` at the start of a disk chunk (the rest of the disk stays a hole). */
function writeChunk(disk: string, chunk: number, bytes: Buffer): void {
  const fd = openSync(disk, 'r+');
  writeSync(fd, bytes, 0, bytes.length, chunk * CHUNK_BYTES);
  closeSync(fd);
}

/** An image folder: kernel, initrd and a sparse disk with data in chunks 0 and 3, and chunk 5 a copy of chunk 0. */
function imageFolder(name: string): string {
  const dir = join(folder, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'kernel'), randomBytes(1_000_000));
  writeFileSync(join(dir, 'initrd'), randomBytes(400_000));
  const disk = join(dir, 'disk');
  writeFileSync(disk, '');
  truncateSync(disk, DISK_BYTES);
  const first = randomBytes(1_500_000);
  writeChunk(disk, 0, first);
  writeChunk(disk, 3, randomBytes(700_000));
  writeChunk(disk, 5, first);
  return dir;
}

const same = (a: string, b: string) => readFileSync(a).equals(readFileSync(b));
const allocated = (path: string) => statSync(path).blocks * 512;

describe.skipIf(!available)('guest images in an OCI registry', () => {
  it('push, pull by tag and by digest: the same bytes, the disk sparse; a one-chunk change moves one chunk', async () => {
    const image = imageFolder('v1');
    const pusher = new RegistryClient({ registry: registry.host, repository: 'acme/guest' }, undefined);
    const first = await pushGuestImage(pusher, image, '1.0');
    // config + kernel + initrd + chunks 0, 3 and 5 (5 repeats 0: one blob, sent once); holes are not stored.
    expect(first.blobs).toBe(6);
    expect(first.moved).toBe(5);
    // Everything once: kernel, initrd, two full chunks and the small config.
    expect(first.bytes - (1_000_000 + 400_000 + 2 * CHUNK_BYTES)).toBeGreaterThan(0);
    expect(first.bytes - (1_000_000 + 400_000 + 2 * CHUNK_BYTES)).toBeLessThan(200);

    const store = join(folder, 'blobs');
    const puller = new RegistryClient({ registry: registry.host, repository: 'acme/guest' }, undefined);
    const byTag = await pullGuestImage(puller, '1.0', join(folder, 'out-tag'), store);
    expect(byTag.digest).toBe(first.digest);
    for (const name of ['kernel', 'initrd', 'disk'])
      expect(same(join(image, name), join(folder, 'out-tag', name))).toBe(true);
    expect(statSync(join(folder, 'out-tag', 'disk')).size).toBe(DISK_BYTES);
    expect(allocated(join(folder, 'out-tag', 'disk'))).toBeLessThan(4 * CHUNK_BYTES);
    const byDigest = await pullGuestImage(puller, first.digest, join(folder, 'out-digest'), store);
    expect(byDigest.moved).toBe(0);
    expect(same(join(image, 'disk'), join(folder, 'out-digest', 'disk'))).toBe(true);

    // One package changes: chunk 3 gets new bytes. The push sends that chunk only; a pull fetches it only.
    writeChunk(join(image, 'disk'), 3, randomBytes(700_000));
    const sentBefore = pusher.bytesSent;
    const second = await pushGuestImage(pusher, image, '1.1');
    expect(second.moved).toBe(1);
    expect(pusher.bytesSent - sentBefore).toBe(CHUNK_BYTES);
    const receivedBefore = puller.bytesReceived;
    const update = await pullGuestImage(puller, '1.1', join(folder, 'out-1.1'), store);
    expect(update.moved).toBe(1);
    expect(puller.bytesReceived - receivedBefore).toBe(CHUNK_BYTES);
    expect(same(join(image, 'disk'), join(folder, 'out-1.1', 'disk'))).toBe(true);
  });

  it('resumes an interrupted pull from the blob it stopped in, and refuses a corrupted chunk by name', async () => {
    const image = imageFolder('resume');
    const client = new RegistryClient({ registry: registry.host, repository: 'acme/resume' }, undefined);
    const pushed = await pushGuestImage(client, image, 'r1');
    const manifest = JSON.parse((await client.getManifest('r1')).bytes.toString('utf8')) as {
      config: { size: number };
      layers: { digest: string; size: number; mediaType: string }[];
    };
    const chunk = manifest.layers.find((layer) => layer.mediaType.endsWith('disk.chunk.v1'))!;
    // A pull that stopped half-way through a chunk left its partial blob behind.
    const store = join(folder, 'resume-blobs');
    mkdirSync(store);
    const partial = join(store, `${chunk.digest.replace(':', '-')}.partial`);
    const disk = readFileSync(join(image, 'disk'));
    writeFileSync(partial, disk.subarray(0, CHUNK_BYTES / 2));
    const puller = new RegistryClient({ registry: registry.host, repository: 'acme/resume' }, undefined);
    const pulled = await pullGuestImage(puller, pushed.digest, join(folder, 'resumed'), store);
    expect(same(join(image, 'disk'), join(folder, 'resumed', 'disk'))).toBe(true);
    // Only the rest of the interrupted chunk, then everything else once (chunk 5 repeats chunk 0).
    expect(pulled.bytes).toBe(manifest.config.size + 1_000_000 + 400_000 + CHUNK_BYTES / 2 + CHUNK_BYTES);

    // A chunk corrupted in the registry's store: refused, named, nothing written as the image's disk.
    const victim = manifest.layers.filter((layer) => layer.mediaType.endsWith('disk.chunk.v1'))[1]!;
    const data = join(
      registry.root,
      'docker/registry/v2/blobs/sha256',
      victim.digest.slice(7, 9),
      victim.digest.slice(7),
      'data',
    );
    writeFileSync(data, randomBytes(victim.size));
    const error = await pullGuestImage(
      puller,
      pushed.digest,
      join(folder, 'corrupt'),
      join(folder, 'corrupt-blobs'),
    ).then(
      () => new Error('the pull succeeded'),
      (caught: unknown) => caught as Error,
    );
    expect(error.message).toContain(`blob ${victim.digest} arrived with digest`);
    expect(() => statSync(join(folder, 'corrupt', 'disk'))).toThrow();
  });
});

describe.skipIf(!available)('vmplan image push and pull', () => {
  it('pushes an image of the jobs file by its name; a build image only once a run prepared it', async () => {
    const root = join(folder, 'repo');
    const image = imageFolder('named');
    mkdirSync(join(root, '.github'), { recursive: true });
    writeFileSync(
      join(root, '.github/vmplan.yml'),
      `version: 1
images:
  tiny: { arch: arm64, kernel: ${image}/kernel, initrd: ${image}/initrd }
  built: { arch: arm64, build: "cp ${image}/kernel ${image}/initrd $VMPLAN_IMAGE_OUT/" }
jobs:
  a: { run: "true", image: tiny, executor: qemu }
  b: { run: "true", image: built, executor: qemu }
`,
    );
    const env = { VMPLAN_CACHE_DIR: join(folder, 'named-cache') };
    const pushed = await runVmplan(['image', 'push', 'tiny', `${registry.host}/acme/named:1`], {
      cwd: root,
      env,
    });
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stderr).toMatch(/^sent 3 of 3 blob\(s\), /m);
    const notYet = await runVmplan(['image', 'push', 'built', `${registry.host}/acme/named:2`], {
      cwd: root,
      env,
    });
    expect(notYet.code).toBe(2);
    expect(notYet.stderr).toMatch(
      /image "built" is not prepared in the image cache yet \(key [0-9a-f]{32}\): vmplan run prepares it first/,
    );
    const typo = await runVmplan(['image', 'push', 'tinny', `${registry.host}/acme/named:3`], {
      cwd: root,
      env,
    });
    expect(typo.stderr).toContain(
      '"tinny" is neither a folder nor an image a job of the jobs file uses (did you mean "tiny"?)',
    );
  });

  it('push a folder to a registry behind a docker login, pull it by the digest it printed, resuming nothing twice', async () => {
    const locked = await startRegistry({ name: 'ci', password: 'pass-word' });
    try {
      const home = join(folder, 'home');
      mkdirSync(join(home, '.docker'), { recursive: true });
      writeFileSync(
        join(home, '.docker/config.json'),
        JSON.stringify({
          auths: { [locked.host]: { auth: Buffer.from('ci:pass-word').toString('base64') } },
        }),
      );
      const image = imageFolder('cli');
      const env = { HOME: home, VMPLAN_CACHE_DIR: join(folder, 'cli-cache') };
      const pushed = await runVmplan(['image', 'push', image, `${locked.host}/acme/cli:1.0`], {
        cwd: folder,
        env,
      });
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(pushed.stderr).toMatch(/^sent 5 of 6 blob\(s\), [\d.]+ MB of [\d.]+ MB in [\d.]+ s$/m);
      const reference = pushed.stdout.trim();
      expect(reference).toMatch(new RegExp(`^${locked.host}/acme/cli:1\\.0@sha256:[0-9a-f]{64}$`));
      const pulled = await runVmplan(['image', 'pull', reference, '--out', 'pulled'], { cwd: folder, env });
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(pulled.stdout.trim()).toBe(reference);
      for (const name of ['kernel', 'initrd', 'disk'])
        expect(same(join(image, name), join(folder, 'pulled', name))).toBe(true);
      const again = await runVmplan(['image', 'pull', reference, '--out', 'pulled-again', '--json'], {
        cwd: folder,
        env,
      });
      expect(again.stderr).toMatch(/^fetched 0 of 6 blob\(s\), 0 bytes of [\d.]+ MB in /m);
      expect(JSON.parse(again.stdout)).toEqual({
        vmplan: 1,
        command: 'image',
        ok: true,
        action: 'pull',
        reference,
        digest: reference.split('@')[1],
        out: join(folder, 'pulled-again'),
        blobs: 6,
        moved: 0,
        bytes: 0,
        totalBytes: expect.any(Number),
        ms: expect.any(Number),
      });
      const anonymous = await runVmplan(['image', 'pull', reference, '--out', 'x'], {
        cwd: folder,
        env: { HOME: join(folder, 'nobody'), VMPLAN_CACHE_DIR: join(folder, 'other-cache') },
      });
      expect(anonymous.code).toBe(1);
      expect(anonymous.stderr).toBe(
        `vmplan image pull: ${locked.host} needs a login (no credentials found)\n`,
      );
      const anonymousJson = await runVmplan(['image', 'pull', reference, '--out', 'x', '--json'], {
        cwd: folder,
        env: { HOME: join(folder, 'nobody'), VMPLAN_CACHE_DIR: join(folder, 'other-cache') },
      });
      expect(anonymousJson.code).toBe(1);
      expect(JSON.parse(anonymousJson.stdout)).toEqual({
        vmplan: 1,
        command: 'image',
        ok: false,
        action: 'pull',
        error: `${locked.host} needs a login (no credentials found)`,
      });
      const nowhere = await runVmplan(['image', 'pull', '127.0.0.1:9/acme/cli:1.0', '--out', 'x'], {
        cwd: folder,
        env,
      });
      expect(nowhere.code).toBe(1);
      expect(nowhere.stderr).toMatch(/^vmplan image pull: cannot reach 127\.0\.0\.1:9 \(.+\)\n$/);
    } finally {
      await locked.stop();
    }
  });

  // An untrusted run asks registries anonymously, and only on public addresses (test/security/registry-requests.test.ts):
  // this local registry is refused before a request, so the runner's login cannot serve someone else's jobs file.
  it("an untrusted run never takes a tag to the runner's local registry: a login there never serves someone else's jobs file", async () => {
    const locked = await startRegistry({ name: 'ci', password: 'pass-word' });
    try {
      const home = join(folder, 'login-home');
      mkdirSync(join(home, '.docker'), { recursive: true });
      writeFileSync(
        join(home, '.docker/config.json'),
        JSON.stringify({ auths: { [locked.host]: { username: 'ci', password: 'pass-word' } } }),
      );
      const pushed = await runVmplan(
        ['image', 'push', imageFolder('private'), `${locked.host}/acme/private:2`, '--json'],
        { cwd: folder, env: { HOME: home } },
      );
      expect(pushed.code, pushed.stderr).toBe(0);
      const document = JSON.parse(pushed.stdout);
      expect(document).toMatchObject({ command: 'image', ok: true, action: 'push', blobs: 6, moved: 5 });
      expect(document.bytes).toBeGreaterThan(1_400_000 + 700_000 + 1_000_000);
      const digest: string = document.digest;
      expect(document.reference).toBe(`${locked.host}/acme/private:2@${digest}`);
      const jobsFile = `version: 1
images:
  private: { arch: arm64, oci: "${locked.host}/acme/private:2" }
defaults: { image: private, executor: qemu }
jobs:
  hello: { run: echo hello }
`;
      const workspace = makeWorkspace({ '.github/vmplan.yml': jobsFile });
      const env = { HOME: home, VMPLAN_CACHE_DIR: join(folder, 'login-cache') };

      // The developer's own plan uses their login and names the digest.
      const planned = await runVmplan(['plan', '--out', '-'], { cwd: workspace.root, env });
      expect(planned.code, planned.stderr).toBe(0);
      expect(JSON.parse(planned.stdout).nodes).toContainEqual(
        expect.objectContaining({ id: 'image:private', type: 'oci', digest }),
      );
      // The same jobs file run untrusted is refused before a request, and says so.
      const untrusted = await runVmplan(['run', '--trust', 'untrusted', '--state-dir', join(folder, 'u')], {
        cwd: workspace.root,
        env,
      });
      expect(untrusted.code).toBe(2);
      expect(untrusted.stderr).toContain(
        `images.private.oci: cannot resolve ${locked.host}/acme/private:2 to a digest: cannot reach ${locked.host} (it is not a public address`,
      );

      // The action on a pull request from a fork: the same refusal, before anything runs.
      const payload = {
        pull_request: {
          head: { sha: 'f'.repeat(40), ref: 'feature', repo: { full_name: 'someone/widgets' } },
          base: { sha: 'e'.repeat(40), repo: { full_name: 'acme/widgets' } },
        },
      };
      const fork = new ActionHarness(workspace.root, { 'github-token': 'read-only' }, env, {
        name: 'pull_request',
        payload,
      });
      const main = await fork.start('main').done;
      expect(main.code).toBe(1);
      const errors = parseWorkflowCommands(main.stdout).filter((c) => c.command === 'error');
      expect(errors.map((e) => e.message).join('\n')).toContain(
        `cannot resolve ${locked.host}/acme/private:2 to a digest: cannot reach ${locked.host} (it is not a public address`,
      );
      expect(main.stdout).not.toContain('▶ hello');
    } finally {
      await locked.stop();
    }
  });
});
