// Guest images through an OCI registry: push and pull times, bytes and the registry's size for a realistic Debian
// guest (the one the realistic test tier builds: kernel, initrd, a 4 GB sparse ext4 root disk), first in full,
// then after a one-package change (a 2 MB .deb written into the root filesystem with debugfs, without mounting
// it). Side by side: vmplan's gzipped parts, and the same image as plain (uncompressed) parts, the format vmplan
// pushed before, each into its own registry.
// Registry: Debian's docker-registry on loopback (so the figures are vmplan's work and disk I/O, not a network).
// `node --import tsx bench/oci-image.ts [IMAGE_FOLDER]` (default: the realistic tier's cached image).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOf, RegistryClient } from '../src/oci/client.js';
import {
  GUEST_ARTIFACT_TYPE,
  MEDIA,
  PLAIN_MEDIA,
  pullGuestImage,
  pushGuestImage,
  type Transfer,
} from '../src/oci/guest-image.js';
import { formatBytes } from '../src/util/bytes.js';
import { startRegistry, type TestRegistry } from '../test/support/registry.js';
import { table } from './support.js';

function realisticImage(): string {
  const images = 'node_modules/.cache/vmplan-realistic-state/cache/images';
  const key = existsSync(images)
    ? readdirSync(images).find((name) => /^[0-9a-f]{32}$/.test(name))
    : undefined;
  if (key === undefined)
    throw new Error('no realistic image cached: run the realistic test tier first, or name a folder');
  return join(images, key);
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

/** The baseline's chunk size. */
const CHUNK_BYTES = 32 * 1024 * 1024;

/** The baseline: the image as plain parts in fixed 32 MB chunks, as vmplan pushed it before compression. */
async function pushPlain(client: RegistryClient, image: string, tag: string): Promise<Transfer> {
  const before = client.bytesSent;
  let moved = 0;
  const size = statSync(join(image, 'disk')).size;
  const config = Buffer.from(JSON.stringify({ vmplan: 1, disk: { size, chunkBytes: CHUNK_BYTES } }));
  const layers: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[] =
    [];
  const push = async (mediaType: string, bytes: Buffer, offset?: number) => {
    const digest = digestOf(bytes);
    if (await client.pushBlob(digest, { bytes })) moved++;
    layers.push({
      mediaType,
      digest,
      size: bytes.length,
      ...(offset === undefined ? {} : { annotations: { 'vmplan.offset': String(offset) } }),
    });
  };
  if (await client.pushBlob(digestOf(config), { bytes: config })) moved++;
  await push(PLAIN_MEDIA.kernel, readFileSync(join(image, 'kernel')));
  await push(PLAIN_MEDIA.initrd, readFileSync(join(image, 'initrd')));
  const fd = openSync(join(image, 'disk'), 'r');
  const zeros = Buffer.alloc(CHUNK_BYTES);
  for (let offset = 0; offset < size; offset += CHUNK_BYTES) {
    const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, size - offset));
    readSync(fd, chunk, 0, chunk.length, offset);
    if (!chunk.equals(zeros.subarray(0, chunk.length))) await push(PLAIN_MEDIA.diskChunk, chunk, offset);
  }
  closeSync(fd);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      artifactType: GUEST_ARTIFACT_TYPE,
      config: { mediaType: MEDIA.config, digest: digestOf(config), size: config.length },
      layers,
    }),
  );
  const digest = await client.putManifest(tag, manifest, MEDIA.manifest);
  const totalBytes = layers.reduce(
    (sum: number, layer) => sum + (layer as { size: number }).size,
    config.length,
  );
  return { digest, blobs: layers.length + 1, moved, bytes: client.bytesSent - before, totalBytes };
}

/** Bytes the registry keeps for its blobs. */
function registryBytes(registry: TestRegistry): number {
  return Number(
    execFileSync('du', ['-sb', join(registry.root, 'docker/registry/v2/blobs')])
      .toString()
      .split('\t')[0],
  );
}

const source = process.argv[2] ?? realisticImage();
const folder = mkdtempSync(join(tmpdir(), 'vmplan-bench-oci-'));
interface Figures {
  steps: [string, { value: Transfer; ms: number }][];
  stored: number[];
}
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function measure(format: 'gzip' | 'plain'): Promise<Figures> {
  const registry = await startRegistry();
  try {
    const image = join(folder, `image-${format}`);
    execFileSync('mkdir', ['-p', image]);
    for (const name of ['kernel', 'initrd']) copyFileSync(join(source, name), join(image, name));
    execFileSync('cp', ['--sparse=always', join(source, 'disk'), join(image, 'disk')]);
    const client = () =>
      new RegistryClient({ registry: registry.host, repository: 'bench/guest' }, undefined);
    const push = (pusher: RegistryClient, tag: string) =>
      format === 'gzip' ? pushGuestImage(pusher, image, tag) : pushPlain(pusher, image, tag);
    const pusher = client();
    const first = await timed(() => push(pusher, '1'));
    const stored = [registryBytes(registry)];
    const puller = client();
    const store = join(folder, `blobs-${format}`);
    const pulled = await timed(() => pullGuestImage(puller, '1', join(folder, `pull-1-${format}`), store));
    // One package: a 2 MB .deb written into the filesystem image (data blocks, inode, bitmaps, journal).
    const deb = join(folder, 'package.deb');
    if (!existsSync(deb)) writeFileSync(deb, randomBytes(2_000_000));
    execFileSync(
      'debugfs',
      ['-w', '-R', `write ${deb} /var/cache/apt/archives/bench-package.deb`, join(image, 'disk')],
      {
        stdio: 'ignore',
      },
    );
    const second = await timed(() => push(pusher, '2'));
    stored.push(registryBytes(registry));
    const update = await timed(() => pullGuestImage(puller, '2', join(folder, `pull-2-${format}`), store));
    const back = join(folder, `pull-2-${format}`);
    for (const name of ['kernel', 'initrd', 'disk'])
      execFileSync('cmp', ['--quiet', join(image, name), join(back, name)]);
    rmSync(join(folder, `pull-1-${format}`), { recursive: true, force: true });
    rmSync(back, { recursive: true, force: true });
    rmSync(store, { recursive: true, force: true });
    rmSync(image, { recursive: true, force: true });
    return {
      steps: [
        ['first push', first],
        ['first pull', pulled],
        ['push after a one-package change', second],
        ['pull of the changed image', update],
      ],
      stored,
    };
  } finally {
    await registry.stop();
  }
}

try {
  const disk = statSync(join(source, 'disk'));
  console.log(
    `image: kernel ${formatBytes(statSync(join(source, 'kernel')).size)}, initrd ${formatBytes(statSync(join(source, 'initrd')).size)}, disk ${formatBytes(disk.size)} (${formatBytes(disk.blocks * 512)} used)\n`,
  );
  const plain = await measure('plain');
  const gzip = await measure('gzip');
  console.log(
    table(
      [
        'step',
        'plain: time',
        'plain: bytes',
        'gzip: time',
        'gzip: bytes',
        'gzip/plain bytes',
        'gzip/plain time',
      ],
      plain.steps.map(([name, p], index) => {
        const g = gzip.steps[index]![1];
        return [
          name,
          seconds(p.ms),
          `${formatBytes(p.value.bytes)} (${p.value.moved} of ${p.value.blobs})`,
          seconds(g.ms),
          `${formatBytes(g.value.bytes)} (${g.value.moved} of ${g.value.blobs})`,
          `${((100 * g.value.bytes) / Math.max(1, p.value.bytes)).toFixed(0)}%`,
          `${(g.ms / p.ms).toFixed(2)}×`,
        ];
      }),
    ),
  );
  console.log(
    `\nregistry size: plain ${formatBytes(plain.stored[0]!)} → ${formatBytes(plain.stored[1]!)}; gzip ${formatBytes(gzip.stored[0]!)} → ${formatBytes(gzip.stored[1]!)} (${((100 * gzip.stored[1]!) / plain.stored[1]!).toFixed(0)}% of plain)`,
  );
} finally {
  rmSync(folder, { recursive: true, force: true });
}
