// Guest images through a real registry: pushed as an OCI artifact with the root disk in content-addressed
// chunks, pulled back byte for byte and sparse; a changed image moves only its changed chunks.
import { execFileSync } from 'node:child_process';
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
import { digestOf, RegistryClient } from '../../src/oci/client.js';
import {
  GUEST_ARTIFACT_TYPE,
  MEDIA,
  PLAIN_MEDIA,
  pullGuestImage,
  pushGuestImage,
  UNPACKED_LIMIT,
} from '../../src/oci/guest-image.js';
import { runVmplan } from '../support/cli.js';
import { ActionHarness, makeWorkspace } from '../support/github/action-harness.js';
import { parseWorkflowCommands } from '../support/github/workflow-commands.js';
import { commandWorks, prerequisite } from '../support/prerequisites.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { seededBytes } from '../support/seeded-bytes.js';

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

/** The test disks hold data in regions this far apart (each region's data one chunk: shorter than MIN_CHUNK). */
const CHUNK_BYTES = 32 * 1024 * 1024;
const DISK_BYTES = 8 * CHUNK_BYTES;

/** Writes `bytes` at the start of a disk chunk (the rest of the disk stays a hole). */
function writeChunk(disk: string, chunk: number, bytes: Buffer): void {
  const fd = openSync(disk, 'r+');
  writeSync(fd, bytes, 0, bytes.length, chunk * CHUNK_BYTES);
  closeSync(fd);
}

/** An image folder: kernel, initrd and a sparse disk with data in regions 0 and 3, and region 5 a copy of region 0. */
function imageFolder(name: string): string {
  const dir = join(folder, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'kernel'), randomBytes(1_000_000));
  writeFileSync(join(dir, 'initrd'), randomBytes(400_000));
  const disk = join(dir, 'disk');
  writeFileSync(disk, '');
  truncateSync(disk, DISK_BYTES);
  const first = randomBytes(500_000);
  writeChunk(disk, 0, first);
  writeChunk(disk, 3, randomBytes(300_000));
  writeChunk(disk, 5, first);
  return dir;
}

/** Where the registry keeps a blob (to read or corrupt it behind its back). */
const blobFile = (digest: string) =>
  join(registry.root, 'docker/registry/v2/blobs/sha256', digest.slice(7, 9), digest.slice(7), 'data');

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
    // Everything once, gzipped: random bytes stay their size, a chunk's zeros after them nearly vanish.
    const data = 1_000_000 + 400_000 + 500_000 + 300_000;
    expect(first.bytes).toBeGreaterThan(data);
    expect(first.bytes).toBeLessThan(data + 200_000);
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
    writeChunk(join(image, 'disk'), 3, randomBytes(300_000));
    const sentBefore = pusher.bytesSent;
    const second = await pushGuestImage(pusher, image, '1.1');
    expect(second.moved).toBe(1);
    expect(pusher.bytesSent - sentBefore).toBeGreaterThan(300_000);
    expect(pusher.bytesSent - sentBefore).toBeLessThan(310_000);
    const receivedBefore = puller.bytesReceived;
    const update = await pullGuestImage(puller, '1.1', join(folder, 'out-1.1'), store);
    expect(update.moved).toBe(1);
    expect(puller.bytesReceived - receivedBefore).toBe(pusher.bytesSent - sentBefore);
    expect(same(join(image, 'disk'), join(folder, 'out-1.1', 'disk'))).toBe(true);

    // The same image pushed again to its tag: the same manifest, nothing sent.
    const again = await pushGuestImage(pusher, image, '1.1');
    expect(again).toEqual({
      digest: second.digest,
      blobs: 6,
      moved: 0,
      bytes: 0,
      totalBytes: second.totalBytes,
      unchanged: true,
    });
    // The total is the image's blobs as stored: what a pull from nothing fetches, and push and pull agree on it.
    expect(update.totalBytes).toBe(second.totalBytes);
    const fresh = new RegistryClient({ registry: registry.host, repository: 'acme/guest' }, undefined);
    const whole = await pullGuestImage(fresh, '1.1', join(folder, 'out-whole'), join(folder, 'store-whole'));
    expect(whole.bytes).toBe(second.totalBytes);
  });

  it('data that moved on the disk keeps its chunks: an insertion sends the chunks around it, not what follows', async () => {
    const dir = join(folder, 'moved');
    mkdirSync(dir);
    writeFileSync(join(dir, 'kernel'), randomBytes(1000));
    writeFileSync(join(dir, 'initrd'), randomBytes(1000));
    // Seeded, so the boundaries fall in the same places on every run (random data moved a third chunk now and then).
    const data = seededBytes(24 * 1024 * 1024, 0x5eed);
    const disk = join(dir, 'disk');
    writeFileSync(disk, data);
    truncateSync(disk, DISK_BYTES);
    const client = new RegistryClient({ registry: registry.host, repository: 'acme/moved' }, undefined);
    const first = await pushGuestImage(client, dir, '1');
    // Like a file added to a filesystem: 4 KiB inserted at 5 MiB, everything after it 4 KiB further on.
    const insertAt = 5 * 1024 * 1024;
    writeFileSync(
      disk,
      Buffer.concat([data.subarray(0, insertAt), seededBytes(4096, 777), data.subarray(insertAt)]),
    );
    truncateSync(disk, DISK_BYTES);
    const sent = client.bytesSent;
    const second = await pushGuestImage(client, dir, '2');
    expect(first.blobs).toBeGreaterThan(10);
    // The chunk holding the insertion and the last chunk of data (its end moved 4 KiB into the zeros): two of the
    // twenty, not the 19 MiB after the insertion.
    expect(second.moved).toBeLessThanOrEqual(2);
    expect(client.bytesSent - sent).toBeLessThan(2 * 8 * 1024 * 1024);
    const out = join(folder, 'moved-out');
    await pullGuestImage(client, '2', out, join(folder, 'moved-blobs'));
    expect(same(disk, join(out, 'disk'))).toBe(true);
  });

  it('resumes an interrupted pull from the blob it stopped in, and refuses a corrupted chunk by name', async () => {
    const image = imageFolder('resume');
    const client = new RegistryClient({ registry: registry.host, repository: 'acme/resume' }, undefined);
    const pushed = await pushGuestImage(client, image, 'r1');
    const manifest = JSON.parse((await client.getManifest('r1')).bytes.toString('utf8')) as {
      config: { size: number };
      layers: { digest: string; size: number; mediaType: string }[];
    };
    const chunk = manifest.layers.find((layer) => layer.mediaType.includes('disk.chunk.v1'))!;
    // A pull that stopped half-way through a chunk left its partial blob behind.
    const store = join(folder, 'resume-blobs');
    mkdirSync(store);
    const partial = join(store, `${chunk.digest.replace(':', '-')}.partial`);
    const served = readFileSync(blobFile(chunk.digest));
    writeFileSync(partial, served.subarray(0, Math.floor(chunk.size / 2)));
    const puller = new RegistryClient({ registry: registry.host, repository: 'acme/resume' }, undefined);
    const pulled = await pullGuestImage(puller, pushed.digest, join(folder, 'resumed'), store);
    expect(same(join(image, 'disk'), join(folder, 'resumed', 'disk'))).toBe(true);
    // Only the rest of the interrupted chunk, then everything else once (chunk 5 repeats chunk 0).
    const blobs = new Map(manifest.layers.map((layer) => [layer.digest, layer.size]));
    const total = manifest.config.size + [...blobs.values()].reduce((sum, size) => sum + size, 0);
    expect(pulled.bytes).toBe(total - Math.floor(chunk.size / 2));

    // A chunk corrupted in the registry's store: refused, named, nothing written as the image's disk.
    const victim = manifest.layers.filter((layer) => layer.mediaType.includes('disk.chunk.v1'))[1]!;
    writeFileSync(blobFile(victim.digest), randomBytes(victim.size));
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

describe.skipIf(!available)('gzipped parts', () => {
  it('every part is a gzip blob that gunzip reads, titled for oras; the manifest says what each unpacks to', async () => {
    const image = imageFolder('gz');
    const client = new RegistryClient({ registry: registry.host, repository: 'acme/gz' }, undefined);
    await pushGuestImage(client, image, '1');
    const manifest = JSON.parse((await client.getManifest('1')).bytes.toString('utf8')) as {
      layers: { digest: string; size: number; mediaType: string; annotations: Record<string, string> }[];
    };
    expect(manifest.layers.map((layer) => layer.mediaType)).toEqual([
      MEDIA.kernel,
      MEDIA.initrd,
      MEDIA.diskChunk,
      MEDIA.diskChunk,
      MEDIA.diskChunk,
    ]);
    expect(manifest.layers.map((layer) => layer.annotations['org.opencontainers.image.title'])).toEqual([
      'kernel.gz',
      'initrd.gz',
      'disk-000000000000.gz',
      `disk-${(3 * CHUNK_BYTES).toString(16).padStart(12, '0')}.gz`,
      `disk-${(5 * CHUNK_BYTES).toString(16).padStart(12, '0')}.gz`,
    ]);
    // The registry stores the kernel gzipped; the system's gunzip gives back the kernel's bytes.
    const kernel = manifest.layers[0]!;
    const unpacked = execFileSync('gzip', ['-dc', blobFile(kernel.digest)]);
    expect(unpacked.equals(readFileSync(join(image, 'kernel')))).toBe(true);
    expect(kernel.annotations['vmplan.size']).toBe('1000000');
    // A chunk holds its data up to the next 64 KiB block of zeros: 500 kB, stored in about that.
    expect(manifest.layers[2]!.annotations['vmplan.size']).toBe(String(8 * 64 * 1024));
    expect(manifest.layers[2]!.size).toBeLessThan(520_000);
  });

  it('pulls an image of plain parts, as vmplan pushed them before compression', async () => {
    const client = new RegistryClient({ registry: registry.host, repository: 'acme/plain' }, undefined);
    const kernel = randomBytes(300_000);
    const initrd = randomBytes(100_000);
    const chunk = randomBytes(CHUNK_BYTES);
    const config = Buffer.from(
      JSON.stringify({ vmplan: 1, disk: { size: 2 * CHUNK_BYTES, chunkBytes: CHUNK_BYTES } }),
    );
    for (const bytes of [config, kernel, initrd, chunk]) await client.pushBlob(digestOf(bytes), { bytes });
    const layer = (mediaType: string, bytes: Buffer, offset?: number) => ({
      mediaType,
      digest: digestOf(bytes),
      size: bytes.length,
      ...(offset === undefined ? {} : { annotations: { 'vmplan.offset': String(offset) } }),
    });
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.manifest,
        artifactType: GUEST_ARTIFACT_TYPE,
        config: { mediaType: MEDIA.config, digest: digestOf(config), size: config.length },
        layers: [
          layer(PLAIN_MEDIA.kernel, kernel),
          layer(PLAIN_MEDIA.initrd, initrd),
          layer(PLAIN_MEDIA.diskChunk, chunk, CHUNK_BYTES),
        ],
      }),
    );
    await client.putManifest('old', manifest, MEDIA.manifest);
    const out = join(folder, 'plain-out');
    await pullGuestImage(client, 'old', out, join(folder, 'plain-blobs'));
    expect(readFileSync(join(out, 'kernel')).equals(kernel)).toBe(true);
    expect(readFileSync(join(out, 'initrd')).equals(initrd)).toBe(true);
    const disk = readFileSync(join(out, 'disk'));
    expect(disk.length).toBe(2 * CHUNK_BYTES);
    expect(disk.subarray(CHUNK_BYTES).equals(chunk)).toBe(true);
    expect(disk.subarray(0, CHUNK_BYTES).every((byte) => byte === 0)).toBe(true);
  });

  it('refuses a gzip part that unpacks to more, or to other bytes, than its manifest says', async () => {
    const client = new RegistryClient({ registry: registry.host, repository: 'acme/bomb' }, undefined);
    const image = imageFolder('bomb');
    await pushGuestImage(client, image, '1');
    const manifest = JSON.parse((await client.getManifest('1')).bytes.toString('utf8'));
    // The kernel claims 10 bytes: a pull stops unpacking at 11 and refuses it.
    manifest.layers[0].annotations['vmplan.size'] = '10';
    await client.putManifest('short', Buffer.from(JSON.stringify(manifest)), MEDIA.manifest);
    const short = await pullGuestImage(
      client,
      'short',
      join(folder, 'bomb-out'),
      join(folder, 'bomb-blobs'),
    ).then(
      () => new Error('the pull succeeded'),
      (caught: unknown) => caught as Error,
    );
    expect(short.message).toBe(
      `short: part ${manifest.layers[0].digest} unpacks to more than the 10 bytes its manifest says`,
    );
    manifest.layers[0].annotations['vmplan.size'] = '1000000';
    manifest.layers[0].annotations['vmplan.digest'] = `sha256:${'0'.repeat(64)}`;
    await client.putManifest('other', Buffer.from(JSON.stringify(manifest)), MEDIA.manifest);
    const other = await pullGuestImage(
      client,
      'other',
      join(folder, 'bomb-out'),
      join(folder, 'bomb-blobs'),
    ).then(
      () => new Error('the pull succeeded'),
      (caught: unknown) => caught as Error,
    );
    expect(other.message).toMatch(
      /^other: part sha256:[0-9a-f]{64} unpacks to digest sha256:[0-9a-f]{64}, not sha256:0{64}: refused$/,
    );
    // A size the registry made up is no licence to unpack it: past vmplan's own limit nothing is unpacked at all.
    const kernelLayer = (await client.getManifest('1')).bytes.toString('utf8');
    const huge = JSON.parse(kernelLayer);
    huge.layers[0].annotations['vmplan.size'] = String(UNPACKED_LIMIT.bootFile + 1);
    await client.putManifest('huge', Buffer.from(JSON.stringify(huge)), MEDIA.manifest);
    const refused = await pullGuestImage(
      client,
      'huge',
      join(folder, 'bomb-out'),
      join(folder, 'bomb-blobs'),
    ).then(
      () => new Error('the pull succeeded'),
      (caught: unknown) => caught as Error,
    );
    expect(refused.message).toBe(
      `huge: part ${huge.layers[0].digest} says it unpacks to ${UNPACKED_LIMIT.bootFile + 1} bytes, over vmplan's ${UNPACKED_LIMIT.bootFile}`,
    );
    expect(() => statSync(join(folder, 'bomb-out', 'disk'))).toThrow();
  });

  it("refuses a disk chunk past vmplan's chunk limit, or placed outside the disk, before unpacking or writing it", async () => {
    const client = new RegistryClient({ registry: registry.host, repository: 'acme/chunks' }, undefined);
    await pushGuestImage(client, imageFolder('chunks'), '1');
    const original = (await client.getManifest('1')).bytes.toString('utf8');
    const pull = (tag: string) =>
      pullGuestImage(client, tag, join(folder, `chunks-${tag}`), join(folder, 'chunks-blobs')).then(
        () => new Error('the pull succeeded'),
        (caught: unknown) => caught as Error,
      );
    type Layer = { mediaType: string; digest: string; annotations: Record<string, string> };
    const chunkOf = (manifest: { layers: Layer[] }) =>
      manifest.layers.find((layer) => layer.mediaType === MEDIA.diskChunk)!;
    // A chunk that says it unpacks to more than any chunk vmplan cuts (a kernel's limit is 64 times that).
    const big = JSON.parse(original);
    chunkOf(big).annotations['vmplan.size'] = String(UNPACKED_LIMIT.diskChunk + 1);
    await client.putManifest('big', Buffer.from(JSON.stringify(big)), MEDIA.manifest);
    expect((await pull('big')).message).toBe(
      `big: part ${chunkOf(big).digest} says it unpacks to ${UNPACKED_LIMIT.diskChunk + 1} bytes, over vmplan's ${UNPACKED_LIMIT.diskChunk}`,
    );
    // A chunk placed where its end is past the disk's size: nothing is written out there.
    for (const [tag, offset] of [
      ['past', String(DISK_BYTES)],
      ['straddling', String(DISK_BYTES - 4096)],
      ['negative', '-4096'],
    ] as const) {
      const moved = JSON.parse(original);
      chunkOf(moved).annotations['vmplan.offset'] = offset;
      await client.putManifest(tag, Buffer.from(JSON.stringify(moved)), MEDIA.manifest);
      expect((await pull(tag)).message, tag).toBe(
        `${tag}: disk chunk ${chunkOf(moved).digest} has no valid offset`,
      );
      expect(() => statSync(join(folder, `chunks-${tag}`, 'disk')), tag).toThrow();
    }
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

  it('pushes only when the digest changes: the same image again writes nothing, not even the tag', async () => {
    const image = imageFolder('release');
    const env = { VMPLAN_CACHE_DIR: join(folder, 'release-cache') };
    const ref = `${registry.host}/acme/release:arm64`;
    const push = async () => {
      const result = await runVmplan(['image', 'push', image, ref, '--json'], { cwd: folder, env });
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout);
    };
    const first = await push();
    expect(first).toMatchObject({ unchanged: false, moved: 5 });
    // The registry's record of what the tag names: written by each manifest PUT to the tag.
    const link = join(
      registry.root,
      'docker/registry/v2/repositories/acme/release/_manifests/tags/arm64/current/link',
    );
    const written = statSync(link).mtimeMs;
    const again = await runVmplan(['image', 'push', image, ref], { cwd: folder, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(
      /^sent 0 of 6 blob\(s\), 0 bytes of [\d.]+ MB in [\d.]+ s: unchanged, the tag already names this image$/m,
    );
    expect(again.stdout.trim()).toBe(first.reference);
    expect(statSync(link).mtimeMs).toBe(written);
    // A changed image: pushed, and the tag moves.
    writeChunk(join(image, 'disk'), 3, randomBytes(300_000));
    const changed = await push();
    expect(changed).toMatchObject({ unchanged: false, moved: 1 });
    expect(changed.digest).not.toBe(first.digest);
    expect(readFileSync(link, 'utf8')).toBe(changed.digest);
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
      expect(document.bytes).toBeGreaterThan(1_000_000 + 400_000 + 500_000 + 300_000);
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
