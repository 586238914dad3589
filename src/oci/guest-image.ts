import {
  closeSync,
  copyFileSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { digestOf, fileDigest, type RegistryClient } from './client.js';

// A vmplan guest image as an OCI artifact: an image manifest with its own artifactType; the kernel and initrd are
// one layer each, the root disk is cut into fixed-size chunks, each a layer named by its content, so a push or
// pull of a changed image moves only the chunks that changed, and chunks of zeros are not stored at all (the
// disk stays sparse on the way back).

/** The artifact type of a vmplan guest image. */
export const GUEST_ARTIFACT_TYPE = 'application/vnd.vmplan.guest.v1';
/** Media types of its parts. */
export const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.vmplan.guest.config.v1+json',
  kernel: 'application/vnd.vmplan.guest.kernel.v1',
  initrd: 'application/vnd.vmplan.guest.initrd.v1',
  diskChunk: 'application/vnd.vmplan.guest.disk.chunk.v1',
} as const;

/** Root disks are cut into chunks of this size (the last one shorter). */
export const CHUNK_BYTES = 32 * 1024 * 1024;

/** The config blob: what a pull needs to put the parts back together. */
export const GuestConfigSchema = z.strictObject({
  vmplan: z.literal(1),
  disk: z
    .strictObject({ size: z.number().int().nonnegative(), chunkBytes: z.number().int().positive() })
    .nullable(),
});

const DescriptorSchema = z.object({
  mediaType: z.string(),
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/),
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** The manifest fields a pull reads (validated: a registry's answer is input). */
export const GuestManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MEDIA.manifest),
  artifactType: z.literal(GUEST_ARTIFACT_TYPE),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
});

/** What a push or pull moved. */
export interface Transfer {
  digest: string;
  /** Parts (blobs) the image has, and how many were actually sent or received. */
  blobs: number;
  moved: number;
  bytes: number;
  /** Bytes of all the image's blobs: what `bytes` is a part of. */
  totalBytes: number;
}

/** One part of the image on disk: a whole file, or a range of the disk. */
interface Part {
  mediaType: string;
  file: string;
  start: number;
  size: number;
  digest: string;
  offset?: number;
}

/** An image's files: where a folder has them (`kernel`, `initrd`, maybe `disk`), or where a jobs file names them. */
export interface GuestFiles {
  kernel: string;
  initrd: string;
  disk: string | null;
}

/** The files of an image folder. */
export function folderFiles(folder: string): GuestFiles {
  const disk = join(folder, 'disk');
  return {
    kernel: join(folder, 'kernel'),
    initrd: join(folder, 'initrd'),
    disk: existsSync(disk) ? disk : null,
  };
}

/** Pushes a guest image folder (kernel, initrd, optional disk) as `tag` (or only by digest); returns the manifest digest. */
export async function pushGuestImage(
  client: RegistryClient,
  image: string | GuestFiles,
  tag: string | undefined,
): Promise<Transfer> {
  const files = typeof image === 'string' ? folderFiles(image) : image;
  const parts: Part[] = [];
  for (const [file, mediaType] of [
    [files.kernel, MEDIA.kernel],
    [files.initrd, MEDIA.initrd],
  ] as const)
    parts.push({ mediaType, file, start: 0, size: statSync(file).size, digest: await fileDigest(file) });
  const disk = files.disk;
  const size = disk === null ? undefined : statSync(disk).size;
  if (disk !== null && size !== undefined) parts.push(...diskChunks(disk, size));
  const config = Buffer.from(
    JSON.stringify({ vmplan: 1, disk: size === undefined ? null : { size, chunkBytes: CHUNK_BYTES } }),
  );
  const before = client.bytesSent;
  let moved = 0;
  if (await client.pushBlob(digestOf(config), { bytes: config })) moved++;
  // A chunk that repeats in the disk is one blob: the registry has it after its first upload.
  for (const part of parts)
    if (await client.pushBlob(part.digest, { file: part.file, start: part.start, size: part.size })) moved++;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      artifactType: GUEST_ARTIFACT_TYPE,
      config: { mediaType: MEDIA.config, digest: digestOf(config), size: config.length },
      layers: parts.map((part) => ({
        mediaType: part.mediaType,
        digest: part.digest,
        size: part.size,
        ...(part.offset === undefined ? {} : { annotations: { 'vmplan.offset': String(part.offset) } }),
      })),
    }),
  );
  const digest = await client.putManifest(tag ?? digestOf(manifest), manifest, MEDIA.manifest);
  const totalBytes = parts.reduce((sum, part) => sum + part.size, config.length);
  return { digest, blobs: parts.length + 1, moved, bytes: client.bytesSent - before, totalBytes };
}

/** The disk's chunks that hold data, with their digests; chunks of zeros are left out (holes). */
function diskChunks(disk: string, size: number): Part[] {
  const parts: Part[] = [];
  const buffer = Buffer.alloc(CHUNK_BYTES);
  const fd = openSync(disk, 'r');
  try {
    for (let offset = 0; offset < size; offset += CHUNK_BYTES) {
      const length = Math.min(CHUNK_BYTES, size - offset);
      const chunk = buffer.subarray(0, length);
      readFully(fd, chunk, offset);
      if (isZero(chunk)) continue;
      parts.push({
        mediaType: MEDIA.diskChunk,
        file: disk,
        start: offset,
        size: length,
        digest: digestOf(chunk),
        offset,
      });
    }
  } finally {
    closeSync(fd);
  }
  return parts;
}

/**
 * Pulls a guest image into `out` (kernel, initrd, disk): every blob verified; blobs are kept by digest in
 * `blobStore` while downloading, so an interrupted pull resumes where it stopped, and a chunk the image repeats is
 * downloaded once. The disk is written sparse: holes stay holes.
 */
export async function pullGuestImage(
  client: RegistryClient,
  reference: string,
  out: string,
  blobStore: string,
): Promise<Transfer> {
  const fetched = await client.getManifest(reference);
  const parsed = GuestManifestSchema.safeParse(jsonOrUndefined(fetched.bytes));
  if (!parsed.success)
    throw new Error(
      `${reference} is not a vmplan guest image (an OCI image manifest with artifactType ${GUEST_ARTIFACT_TYPE})`,
    );
  const manifest = parsed.data;
  mkdirSync(out, { recursive: true });
  mkdirSync(blobStore, { recursive: true });
  const before = client.bytesReceived;
  let moved = 0;
  const blob = async (digest: string): Promise<string> => {
    const done = join(blobStore, digest.replace(':', '-'));
    if (existsSync(done)) {
      touch(done); // used again: the last gc removes (least recently used first)
      return done;
    }
    const partial = `${done}.partial`;
    await client.fetchBlob(digest, partial, existsSync(partial) ? statSync(partial).size : 0);
    renameSync(partial, done);
    moved++;
    return done;
  };
  const parsedConfig = GuestConfigSchema.safeParse(
    jsonOrUndefined(readFileSync(await blob(manifest.config.digest))),
  );
  if (!parsedConfig.success) throw new Error(`${reference}: its config is not a vmplan guest config`);
  const config = parsedConfig.data;
  for (const [name, mediaType] of [
    ['kernel', MEDIA.kernel],
    ['initrd', MEDIA.initrd],
  ] as const) {
    const layer = manifest.layers.find((candidate) => candidate.mediaType === mediaType);
    if (layer === undefined) throw new Error(`${reference} has no ${name}`);
    rmSync(join(out, name), { force: true });
    copyFileSync(await blob(layer.digest), join(out, name));
  }
  if (config.disk !== null) {
    const disk = join(out, 'disk.partial');
    const fd = openSync(disk, 'w');
    try {
      ftruncateSync(fd, config.disk.size);
      for (const layer of manifest.layers.filter((candidate) => candidate.mediaType === MEDIA.diskChunk)) {
        const offset = Number(layer.annotations?.['vmplan.offset']);
        if (!Number.isInteger(offset) || offset < 0 || offset + layer.size > config.disk.size)
          throw new Error(`${reference}: disk chunk ${layer.digest} has no valid offset`);
        writeAt(fd, readFileSync(await blob(layer.digest)), offset);
      }
    } finally {
      closeSync(fd);
    }
    renameSync(disk, join(out, 'disk'));
  }
  return {
    digest: fetched.digest,
    blobs: manifest.layers.length + 1,
    moved,
    bytes: client.bytesReceived - before,
    totalBytes: manifest.layers.reduce((sum, layer) => sum + layer.size, manifest.config.size),
  };
}

/** How many blobs a guest image has and their bytes in all, from its manifest (for a pull that fetched nothing). */
export function guestImageTotals(manifestBytes: Buffer): { blobs: number; totalBytes: number } {
  const manifest = GuestManifestSchema.parse(jsonOrUndefined(manifestBytes));
  return {
    blobs: manifest.layers.length + 1,
    totalBytes: manifest.layers.reduce((sum, layer) => sum + layer.size, manifest.config.size),
  };
}

/** Bytes as JSON, or undefined: a parse error would quote the registry's bytes. */
function jsonOrUndefined(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

function readFully(fd: number, buffer: Buffer, position: number): void {
  let done = 0;
  while (done < buffer.length) {
    const read = readSync(fd, buffer, done, buffer.length - done, position + done);
    if (read === 0) throw new Error('unexpected end of file');
    done += read;
  }
}

function writeAt(fd: number, bytes: Buffer, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** Zeros to compare chunks against (memcmp speed). */
const ZEROS = Buffer.alloc(CHUNK_BYTES);

function isZero(chunk: Buffer): boolean {
  return chunk.equals(ZEROS.subarray(0, chunk.length));
}

/** Marks a file as just used (its modification time). */
function touch(path: string): void {
  const now = new Date();
  utimesSync(path, now, now);
}
