// Guest images through an OCI registry: push and pull times and bytes for a realistic Debian guest (the one the
// realistic test tier builds: kernel, initrd, a 4 GB sparse ext4 root disk), first in full, then after a
// one-package change (a 2 MB .deb written into the root filesystem with debugfs, without mounting it).
// Registry: Debian's docker-registry on loopback (so the figures are vmplan's work and disk I/O, not a network).
// `node --import tsx bench/oci-image.ts [IMAGE_FOLDER]` (default: the realistic tier's cached image).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '../src/oci/client.js';
import { pullGuestImage, pushGuestImage } from '../src/oci/guest-image.js';
import { formatBytes } from '../src/util/bytes.js';
import { startRegistry } from '../test/support/registry.js';
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

const source = process.argv[2] ?? realisticImage();
const folder = mkdtempSync(join(tmpdir(), 'vmplan-bench-oci-'));
const registry = await startRegistry();
try {
  const image = join(folder, 'image');
  execFileSync('mkdir', ['-p', image]);
  for (const name of ['kernel', 'initrd']) copyFileSync(join(source, name), join(image, name));
  execFileSync('cp', ['--sparse=always', join(source, 'disk'), join(image, 'disk')]);
  const disk = statSync(join(image, 'disk'));
  const client = () => new RegistryClient({ registry: registry.host, repository: 'bench/guest' }, undefined);
  const pusher = client();
  const first = await timed(() => pushGuestImage(pusher, image, '1'));
  const puller = client();
  const store = join(folder, 'blobs');
  const pulled = await timed(() => pullGuestImage(puller, '1', join(folder, 'pull-1'), store));

  // One package: a 2 MB .deb written into the filesystem image (data blocks, inode, bitmaps, journal).
  const deb = join(folder, 'package.deb');
  writeFileSync(deb, randomBytes(2_000_000));
  execFileSync(
    'debugfs',
    ['-w', '-R', `write ${deb} /var/cache/apt/archives/bench-package.deb`, join(image, 'disk')],
    {
      stdio: 'ignore',
    },
  );
  const second = await timed(() => pushGuestImage(pusher, image, '2'));
  const update = await timed(() => pullGuestImage(puller, '2', join(folder, 'pull-2'), store));

  console.log(
    `image: kernel ${formatBytes(statSync(join(image, 'kernel')).size)}, initrd ${formatBytes(statSync(join(image, 'initrd')).size)}, disk ${formatBytes(disk.size)} (${formatBytes(disk.blocks * 512)} used)\n`,
  );
  console.log(
    table(
      ['step', 'time', 'blobs moved', 'bytes'],
      [
        [
          'first push',
          `${(first.ms / 1000).toFixed(1)} s`,
          `${first.value.moved} of ${first.value.blobs}`,
          formatBytes(first.value.bytes),
        ],
        [
          'first pull',
          `${(pulled.ms / 1000).toFixed(1)} s`,
          `${pulled.value.moved} of ${pulled.value.blobs}`,
          formatBytes(pulled.value.bytes),
        ],
        [
          'push after a one-package change',
          `${(second.ms / 1000).toFixed(1)} s`,
          `${second.value.moved} of ${second.value.blobs}`,
          formatBytes(second.value.bytes),
        ],
        [
          'pull of the changed image',
          `${(update.ms / 1000).toFixed(1)} s`,
          `${update.value.moved} of ${update.value.blobs}`,
          formatBytes(update.value.bytes),
        ],
      ],
    ),
  );
  const pulledDisk = statSync(join(folder, 'pull-2', 'disk'));
  console.log(
    `\npulled disk: ${formatBytes(pulledDisk.size)} long, ${formatBytes(pulledDisk.blocks * 512)} used (sparse)`,
  );
} finally {
  await registry.stop();
  rmSync(folder, { recursive: true, force: true });
}
