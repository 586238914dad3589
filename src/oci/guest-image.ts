import {
  closeSync,
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
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { chunkEnd, isZero, MAX_CHUNK, ZERO_BLOCK } from './chunking.js';
import { digestOf, type FetchedManifest, fileDigest, type RegistryClient, RegistryError } from './client.js';
import { gunzipPart, gzipPart } from './part-codec.js';

// A vmplan guest image as an OCI artifact: an image manifest with its own artifactType; the kernel and initrd are
// one layer each, the root disk is cut into chunks where its content says (`chunking`), each a layer named by
// its content, so a push or pull of a
// changed image moves only the chunks that changed, and chunks of zeros are not stored at all (the disk stays
// sparse on the way back). Every part is gzipped (`part-codec`); its annotations give the bytes it unpacks to
// (size and sha256) and, for a chunk, where it goes on the disk. `oras pull` writes the parts out under their
// titles (kernel.gz, initrd.gz, disk-OFFSET.gz) and `gunzip` reads them; crane and skopeo copy them as blobs.
// Images pushed before compression (plain parts) still pull: their media types are read as they were.

/** The artifact type of a vmplan guest image. */
export const GUEST_ARTIFACT_TYPE = 'application/vnd.vmplan.guest.v1';
/** Media types of its parts: gzip, with the structured-syntax suffix +gzip (RFC 8460). */
export const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.vmplan.guest.config.v1+json',
  kernel: 'application/vnd.vmplan.guest.kernel.v1+gzip',
  initrd: 'application/vnd.vmplan.guest.initrd.v1+gzip',
  diskChunk: 'application/vnd.vmplan.guest.disk.chunk.v1+gzip',
} as const;
/** Media types of parts pushed uncompressed (vmplan before compression): still read, never written. */
export const PLAIN_MEDIA = {
  kernel: 'application/vnd.vmplan.guest.kernel.v1',
  initrd: 'application/vnd.vmplan.guest.initrd.v1',
  diskChunk: 'application/vnd.vmplan.guest.disk.chunk.v1',
} as const;
/** Annotations of a gzipped part: the bytes it unpacks to, and for a chunk its place on the disk. */
export const ANNOTATION = {
  size: 'vmplan.size',
  digest: 'vmplan.digest',
  offset: 'vmplan.offset',
  title: 'org.opencontainers.image.title',
} as const;

/** The config blob: what a pull needs to put the parts back together. */
export const GuestConfigSchema = z.strictObject({
  vmplan: z.literal(1),
  disk: z
    .strictObject({
      size: z.number().int().nonnegative(),
      /** Fixed-size chunks of images pushed before content-defined chunks: read, no longer written. */
      chunkBytes: z.number().int().positive().optional(),
    })
    .nullable(),
});

const DescriptorSchema = z.object({
  mediaType: z.string(),
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/),
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
});
type Descriptor = z.infer<typeof DescriptorSchema>;

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

/**
 * How far a push or pull is: blobs handled (sent, received, or found already there) of all, and bytes of bytes.
 * A pull counts the blobs as stored (compressed); a push counts the image's own bytes read, as the compressed
 * size of the whole is known only at the end.
 */
export interface TransferProgress {
  done: number;
  blobs: number;
  bytes: number;
  totalBytes: number;
}

/** Told after each blob; the first call (nothing done yet) comes before any blob moves. */
export type OnProgress = (progress: TransferProgress) => void;

/** One part of the image on disk: a whole file, or a range of the disk. */
interface Part {
  mediaType: string;
  file: string;
  start: number;
  size: number;
  /** sha256 of the part's own (uncompressed) bytes. */
  digest: string;
  title: string;
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

/** What a push did: a Transfer, and whether the tag already named this very image (then nothing was written). */
export interface PushTransfer extends Transfer {
  unchanged: boolean;
}

/**
 * Pushes a guest image folder (kernel, initrd, optional disk) as `tag` (or only by digest); returns the manifest
 * digest. A part whose bytes the tag's current image already has keeps that image's compressed blob (found by
 * the part's own digest), so an unchanged image makes the same manifest, whichever zlib compressed it first; when
 * the tag already names that manifest, nothing is written at all (`unchanged`).
 */
export async function pushGuestImage(
  client: RegistryClient,
  image: string | GuestFiles,
  tag: string | undefined,
  onProgress?: OnProgress,
): Promise<PushTransfer> {
  const files = typeof image === 'string' ? folderFiles(image) : image;
  const parts: Part[] = [];
  for (const [file, mediaType, title] of [
    [files.kernel, MEDIA.kernel, 'kernel.gz'],
    [files.initrd, MEDIA.initrd, 'initrd.gz'],
  ] as const)
    parts.push({
      mediaType,
      file,
      start: 0,
      size: statSync(file).size,
      digest: await fileDigest(file),
      title,
    });
  const disk = files.disk;
  const size = disk === null ? undefined : statSync(disk).size;
  if (disk !== null && size !== undefined) parts.push(...diskChunks(disk, size));
  const config = Buffer.from(JSON.stringify({ vmplan: 1, disk: size === undefined ? null : { size } }));
  const before = client.bytesSent;
  let moved = 0;
  const progress: TransferProgress = {
    done: 0,
    blobs: parts.length + 1,
    bytes: 0,
    totalBytes: config.length + parts.reduce((sum, part) => sum + part.size, 0),
  };
  const handled = (bytes: number) => {
    progress.done++;
    progress.bytes += bytes;
    onProgress?.({ ...progress });
  };
  onProgress?.({ ...progress });
  if (await client.pushBlob(digestOf(config), { bytes: config })) moved++;
  handled(config.length);
  const { current, known } = await knownParts(client, tag);
  const layers: Descriptor[] = [];
  for (const part of parts) {
    const key = `${part.mediaType} ${part.digest} ${part.size}`;
    let blob = known.get(key);
    if (blob === undefined || !(await client.hasBlob(blob.digest))) {
      const bytes = gzipPart(readPart(part));
      blob = { mediaType: part.mediaType, digest: digestOf(bytes), size: bytes.length };
      if (await client.pushBlob(blob.digest, { bytes })) moved++;
      // A chunk that repeats in the disk is one blob: compressed and sent once.
      known.set(key, blob);
    }
    handled(part.size);
    layers.push({
      mediaType: part.mediaType,
      digest: blob.digest,
      size: blob.size,
      annotations: {
        [ANNOTATION.title]: part.title,
        [ANNOTATION.size]: String(part.size),
        [ANNOTATION.digest]: part.digest,
        ...(part.offset === undefined ? {} : { [ANNOTATION.offset]: String(part.offset) }),
      },
    });
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      artifactType: GUEST_ARTIFACT_TYPE,
      config: { mediaType: MEDIA.config, digest: digestOf(config), size: config.length },
      layers,
    }),
  );
  const unchanged = current === digestOf(manifest);
  const digest = unchanged
    ? current
    : await client.putManifest(tag ?? digestOf(manifest), manifest, MEDIA.manifest);
  // Against what a push could send: every blob once, as the registry stores it (compressed), the config included.
  const totalBytes = uniqueBlobBytes(layers) + config.length;
  return { digest, blobs: parts.length + 1, moved, bytes: client.bytesSent - before, totalBytes, unchanged };
}

/**
 * The image `tag` names now: its manifest digest, and its compressed blobs by media type, own digest and size;
 * nothing for a new tag.
 */
async function knownParts(
  client: RegistryClient,
  tag: string | undefined,
): Promise<{ current: string | undefined; known: Map<string, Descriptor> }> {
  const known = new Map<string, Descriptor>();
  if (tag === undefined) return { current: undefined, known };
  let fetched: FetchedManifest;
  try {
    fetched = await client.getManifest(tag);
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) return { current: undefined, known };
    throw error;
  }
  const parsed = GuestManifestSchema.safeParse(jsonOrUndefined(fetched.bytes));
  if (!parsed.success) return { current: fetched.digest, known };
  for (const layer of parsed.data.layers) {
    const { [ANNOTATION.digest]: digest, [ANNOTATION.size]: size } = layer.annotations ?? {};
    if (digest !== undefined && size !== undefined)
      known.set(`${layer.mediaType} ${digest} ${size}`, {
        mediaType: layer.mediaType,
        digest: layer.digest,
        size: layer.size,
      });
  }
  return { current: fetched.digest, known };
}

/** A part's bytes, read from its file. */
function readPart(part: Part): Buffer {
  const bytes = Buffer.alloc(part.size);
  const fd = openSync(part.file, 'r');
  try {
    readFully(fd, bytes, part.start);
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/**
 * The disk's chunks that hold data, with their digests: cut where their content says (`chunking`), so data that
 * moved on the disk is cut as before; runs of zeros are left out (holes).
 */
function diskChunks(disk: string, size: number): Part[] {
  const parts: Part[] = [];
  // Holds the disk from `windowStart`: at least a largest chunk and the zero block after it past any position.
  const window = Buffer.alloc(4 * MAX_CHUNK);
  let windowStart = 0;
  let windowEnd = 0;
  const fd = openSync(disk, 'r');
  try {
    for (let position = 0; position < size; ) {
      if (position + MAX_CHUNK + ZERO_BLOCK > windowEnd && windowEnd < size) {
        windowStart = position;
        windowEnd = Math.min(size, position + window.length);
        readFully(fd, window.subarray(0, windowEnd - windowStart), windowStart);
      }
      const at = (offset: number) => offset - windowStart;
      const block = (offset: number) => window.subarray(at(offset), at(Math.min(size, offset + ZERO_BLOCK)));
      if (position % ZERO_BLOCK === 0 && isZero(block(position))) {
        position = Math.min(size, position + ZERO_BLOCK);
        continue;
      }
      // The data runs to the next aligned block of zeros (or as far as a chunk can reach).
      const reach = Math.min(size, position + MAX_CHUNK);
      let runEnd = Math.ceil(position / ZERO_BLOCK) * ZERO_BLOCK;
      while (runEnd < reach && !isZero(block(runEnd))) runEnd += ZERO_BLOCK;
      const end = windowStart + chunkEnd(window, at(position), at(Math.min(runEnd, reach)));
      const chunk = window.subarray(at(position), at(end));
      if (!isZero(chunk))
        parts.push({
          mediaType: MEDIA.diskChunk,
          file: disk,
          start: position,
          size: chunk.length,
          digest: digestOf(chunk),
          title: chunkTitle(position),
          offset: position,
        });
      position = end;
    }
  } finally {
    closeSync(fd);
  }
  return parts;
}

/** A chunk's file name for tools that write parts out by title: its disk offset, in fixed-width hex. */
function chunkTitle(offset: number): string {
  return `disk-${offset.toString(16).padStart(12, '0')}.gz`;
}

/**
 * The most a gzipped part may unpack to, whatever its manifest says (the registry writes the manifest, so its
 * sizes bound nothing): a kernel or initrd, and a disk chunk (vmplan cuts none larger than MAX_CHUNK).
 */
export const UNPACKED_LIMIT = { bootFile: 512 * 1024 * 1024, diskChunk: MAX_CHUNK } as const;

/**
 * A layer's bytes as the image holds them: a gzipped part unpacked and checked against its annotations, never
 * unpacking more than `limit` bytes.
 */
function layerBytes(layer: Descriptor, blob: Buffer, reference: string, limit: number): Buffer {
  if (!layer.mediaType.endsWith('+gzip')) return blob;
  const { [ANNOTATION.size]: size, [ANNOTATION.digest]: digest } = layer.annotations ?? {};
  const bytes = Number(size);
  if (
    !Number.isSafeInteger(bytes) ||
    bytes < 0 ||
    digest === undefined ||
    !/^sha256:[a-f0-9]{64}$/.test(digest)
  )
    throw new Error(`${reference}: part ${layer.digest} does not say what it unpacks to`);
  if (bytes > limit)
    throw new Error(
      `${reference}: part ${layer.digest} says it unpacks to ${bytes} bytes, over vmplan's ${limit}`,
    );
  return gunzipPart(blob, bytes, digest, `${reference}: part ${layer.digest}`);
}

/** The size a layer has once unpacked. */
function unpackedSize(layer: Descriptor): number {
  return layer.mediaType.endsWith('+gzip') ? Number(layer.annotations?.[ANNOTATION.size]) : layer.size;
}

/**
 * Pulls a guest image into `out` (kernel, initrd, disk): every blob verified as served, then every gzipped part
 * against the size and digest its manifest gives; blobs are kept by digest in `blobStore` while downloading, so an
 * interrupted pull resumes where it stopped, and a chunk the image repeats is downloaded once. The disk is
 * written sparse: holes stay holes. Images of plain (uncompressed) parts, as vmplan pushed before, pull as well.
 */
export async function pullGuestImage(
  client: RegistryClient,
  reference: string,
  out: string,
  blobStore: string,
  onProgress?: OnProgress,
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
  // Each layer counts as a blob (as `blobs` does); bytes count each blob once (as `totalBytes` does).
  const sizes = new Map([manifest.config, ...manifest.layers].map((layer) => [layer.digest, layer.size]));
  const progress: TransferProgress = {
    done: 0,
    blobs: manifest.layers.length + 1,
    bytes: 0,
    totalBytes: uniqueBlobBytes(manifest.layers) + manifest.config.size,
  };
  const counted = new Set<string>();
  onProgress?.({ ...progress });
  const blob = async (digest: string): Promise<string> => {
    const done = join(blobStore, digest.replace(':', '-'));
    if (existsSync(done))
      touch(done); // used again: the last gc removes (least recently used first)
    else {
      const partial = `${done}.partial`;
      await client.fetchBlob(digest, partial, existsSync(partial) ? statSync(partial).size : 0);
      renameSync(partial, done);
      moved++;
    }
    progress.done++;
    if (!counted.has(digest)) progress.bytes += sizes.get(digest) ?? 0;
    counted.add(digest);
    onProgress?.({ ...progress });
    return done;
  };
  const parsedConfig = GuestConfigSchema.safeParse(
    jsonOrUndefined(readFileSync(await blob(manifest.config.digest))),
  );
  if (!parsedConfig.success) throw new Error(`${reference}: its config is not a vmplan guest config`);
  const config = parsedConfig.data;
  for (const name of ['kernel', 'initrd'] as const) {
    const layer = manifest.layers.find(
      (candidate) => candidate.mediaType === MEDIA[name] || candidate.mediaType === PLAIN_MEDIA[name],
    );
    if (layer === undefined) throw new Error(`${reference} has no ${name}`);
    rmSync(join(out, name), { force: true });
    const bytes = layerBytes(
      layer,
      readFileSync(await blob(layer.digest)),
      reference,
      UNPACKED_LIMIT.bootFile,
    );
    writeFileSync(join(out, name), bytes);
  }
  if (config.disk !== null) {
    const disk = join(out, 'disk.partial');
    const fd = openSync(disk, 'w');
    try {
      ftruncateSync(fd, config.disk.size);
      for (const layer of manifest.layers.filter(
        (candidate) =>
          candidate.mediaType === MEDIA.diskChunk || candidate.mediaType === PLAIN_MEDIA.diskChunk,
      )) {
        const offset = Number(layer.annotations?.[ANNOTATION.offset]);
        const size = unpackedSize(layer);
        if (!Number.isSafeInteger(offset) || offset < 0 || !(offset + size <= config.disk.size))
          throw new Error(`${reference}: disk chunk ${layer.digest} has no valid offset`);
        const bytes = readFileSync(await blob(layer.digest));
        writeAt(fd, layerBytes(layer, bytes, reference, UNPACKED_LIMIT.diskChunk), offset);
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
    totalBytes: uniqueBlobBytes(manifest.layers) + manifest.config.size,
  };
}

/** How many blobs a guest image has and their bytes in all, from its manifest (for a pull that fetched nothing). */
export function guestImageTotals(manifestBytes: Buffer): { blobs: number; totalBytes: number } {
  const manifest = GuestManifestSchema.parse(jsonOrUndefined(manifestBytes));
  return {
    blobs: manifest.layers.length + 1,
    totalBytes: uniqueBlobBytes(manifest.layers) + manifest.config.size,
  };
}

/** The bytes of the blobs the layers name, each blob once (a chunk the disk repeats is one blob). */
function uniqueBlobBytes(layers: readonly { digest: string; size: number }[]): number {
  const sizes = new Map(layers.map((layer) => [layer.digest, layer.size]));
  return [...sizes.values()].reduce((sum, size) => sum + size, 0);
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

/** Marks a file as just used (its modification time). */
function touch(path: string): void {
  const now = new Date();
  utimesSync(path, now, now);
}
