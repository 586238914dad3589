// A Debian guest rebuilt: twice from the same inputs (reproducible: the same digest, nothing to push), then with
// a one-line change to its --setup script (a user added). What the push of the changed image sends, as a share of
// the image, against what fixed 32 MiB chunks of the same two disks would have sent (vmplan's chunking before).
// Needs root, mmdebstrap and Debian's mirror; builds for this machine's architecture. Registry: Debian's
// docker-registry on loopback.
// `node --import tsx bench/guest-rebuild.ts [amd64|arm64]`
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '../src/oci/client.js';
import { pushGuestImage, type Transfer } from '../src/oci/guest-image.js';
import { formatBytes } from '../src/util/bytes.js';
import { startRegistry } from '../test/support/registry.js';
import { table } from './support.js';

const arch = process.argv[2] ?? (process.arch === 'arm64' ? 'arm64' : 'amd64');
const folder = mkdtempSync(join(tmpdir(), 'vmplan-bench-rebuild-'));
const SETUP = '#!/bin/sh\nset -e\necho "export CI=true" >/etc/profile.d/ci.sh\n';
const CHANGED = `${SETUP}useradd --create-home --shell /bin/bash builder\n`;

function build(name: string, setup: string): { out: string; seconds: number } {
  const script = join(folder, `${name}.sh`);
  writeFileSync(script, setup, { mode: 0o755 });
  const out = join(folder, name);
  const started = performance.now();
  const result = spawnSync(
    'guest/build-debian-guest.sh',
    ['--arch', arch, '--out', out, '--setup', script, '--size', '2G', '--cache', join(folder, 'cache')],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (result.status !== 0) throw new Error(`build ${name} failed (${result.status})`);
  return { out, seconds: (performance.now() - started) / 1000 };
}

/** sha256 of each fixed 32 MiB chunk holding data: what vmplan chunked by before. */
function fixedChunks(disk: string): Set<string> {
  const size = statSync(disk).size;
  const chunk = Buffer.alloc(32 * 1024 * 1024);
  const zeros = Buffer.alloc(chunk.length);
  const digests = new Set<string>();
  const fd = openSync(disk, 'r');
  for (let offset = 0; offset < size; offset += chunk.length) {
    const length = readSync(fd, chunk, 0, Math.min(chunk.length, size - offset), offset);
    const bytes = chunk.subarray(0, length);
    if (!bytes.equals(zeros.subarray(0, length)))
      digests.add(createHash('sha256').update(bytes).digest('hex'));
  }
  closeSync(fd);
  return digests;
}

/** Bytes of the fixed chunks of disk `after` that disk `before` does not have, and of all its chunks. */
function fixedShare(before: string, after: string): { sent: number; total: number } {
  const old = fixedChunks(before);
  const size = statSync(after).size;
  let sent = 0;
  let total = 0;
  const chunk = Buffer.alloc(32 * 1024 * 1024);
  const zeros = Buffer.alloc(chunk.length);
  const fd = openSync(after, 'r');
  for (let offset = 0; offset < size; offset += chunk.length) {
    const length = readSync(fd, chunk, 0, Math.min(chunk.length, size - offset), offset);
    const bytes = chunk.subarray(0, length);
    if (bytes.equals(zeros.subarray(0, length))) continue;
    total += length;
    if (!old.has(createHash('sha256').update(bytes).digest('hex'))) sent += length;
  }
  closeSync(fd);
  return { sent, total };
}

const registry = await startRegistry();
try {
  const a = build('a', SETUP);
  const again = build('a-again', SETUP);
  const b = build('b', CHANGED);
  const client = new RegistryClient({ registry: registry.host, repository: 'bench/debian' }, undefined);
  const push = async (out: string) => {
    const started = performance.now();
    const value = await pushGuestImage(client, out, 'main');
    return { value, seconds: (performance.now() - started) / 1000 };
  };
  const first = await push(a.out);
  const same = await push(again.out);
  const changed = await push(b.out);
  const identical = ['kernel', 'initrd', 'disk'].map((name) => {
    const r = spawnSync('cmp', ['--quiet', join(a.out, name), join(again.out, name)]);
    return `${name} ${r.status === 0 ? 'identical' : 'DIFFERENT'}`;
  });
  const fixed = fixedShare(join(a.out, 'disk'), join(b.out, 'disk'));
  const row = (name: string, build: { seconds: number }, pushed: { value: Transfer; seconds: number }) => [
    name,
    `${build.seconds.toFixed(0)} s`,
    pushed.value.digest.slice(0, 19),
    `${pushed.value.moved} of ${pushed.value.blobs}`,
    formatBytes(pushed.value.bytes),
    `${((100 * pushed.value.bytes) / first.value.bytes).toFixed(1)}%`,
    `${pushed.seconds.toFixed(1)} s`,
  ];
  const used = statSync(join(a.out, 'disk')).blocks * 512;
  console.log(`Debian ${arch} guest, disk 2 GB (${formatBytes(used)} used)\n`);
  console.log(
    table(
      ['build', 'build time', 'digest', 'blobs pushed', 'bytes pushed', 'of the first push', 'push time'],
      [
        row('first', a, first),
        row('same inputs again', again, same),
        row('one setup line added', b, changed),
      ],
    ),
  );
  console.log(`\nsame inputs: ${identical.join(', ')}`);
  console.log(
    `fixed 32 MiB chunks (before), uncompressed: the change would send ${formatBytes(fixed.sent)} of the disk's ${formatBytes(fixed.total)} in chunks (${((100 * fixed.sent) / fixed.total).toFixed(1)}%)`,
  );
} finally {
  await registry.stop();
  rmSync(folder, { recursive: true, force: true });
}
