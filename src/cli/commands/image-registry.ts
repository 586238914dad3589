import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repositoryRoot } from '../../context/local-context.js';
import { InputError } from '../../errors.js';
import { ImageCache, imageCacheKey, ociCacheKey } from '../../images/cache.js';
import { RegistryClient } from '../../oci/client.js';
import { credentialsFor } from '../../oci/credentials.js';
import {
  folderFiles,
  type GuestFiles,
  guestImageTotals,
  type OnProgress,
  pullGuestImage,
  pushGuestImage,
  type Transfer,
} from '../../oci/guest-image.js';
import { formatReference, parseReference } from '../../oci/reference.js';
import { formatBytes } from '../../util/bytes.js';
import { terminalText } from '../../util/control-text.js';
import { leaseFolder } from '../../util/lease.js';
import { defaultCacheDir } from '../../util/state-dir.js';
import { didYouMean } from '../../util/suggest.js';
import type { CliIo } from '../io.js';
import { LOCAL_TRUST, planFromArgs } from './plan.js';

/** What a push or pull did: the reference with its digest, and what moved. */
export interface TransferDone {
  reference: string;
  transfer: Transfer;
  ms: number;
  /** A pull: the folder written. */
  out?: string;
  /** A push: the tag already named this very image, so nothing was written. */
  unchanged?: boolean;
}

/** A transfer, for people: `sent 2 of 9 blob(s), 64.0 MB of 809.0 MB in 3.1 s`. */
export function transferLine(verb: string, done: TransferDone): string {
  const { transfer, ms } = done;
  const line = `${verb} ${transfer.moved} of ${transfer.blobs} blob(s), ${formatBytes(transfer.bytes)} of ${formatBytes(transfer.totalBytes)} in ${(ms / 1000).toFixed(1)} s`;
  return done.unchanged === true ? `${line}: unchanged, the tag already names this image` : line;
}

/** How often, at most, the progress line is redrawn (a pull of small blobs finishes hundreds a second). */
const REDRAW_MS = 100;
/** Erases the terminal row the cursor is on and returns to its start. */
const CLEAR_ROW = '\r\x1b[2K';

/** A push's or pull's progress line: what to tell it, and how to remove it before the final line. */
export interface TransferProgressLine {
  onProgress: OnProgress | undefined;
  clear(): void;
}

/**
 * Progress on a terminal while blobs move: one line rewritten in place, `pulling REF: 3 of 25 blob(s), 100.0 MB
 * of 809.0 MB`. Without a stream (not a live terminal: a pipe, a log, CI, or --json), nothing: the line at the
 * end says it all. Written to the stream itself: the carriage return is the point, and the label is made safe.
 */
export function transferProgressLine(
  stream: NodeJS.WritableStream | undefined,
  label: string,
): TransferProgressLine {
  if (stream === undefined) return { onProgress: undefined, clear: () => {} };
  const safe = terminalText(label);
  let shown = false;
  let drawnAt = 0;
  return {
    onProgress(progress) {
      const now = Date.now();
      // The first and the last always; in between at most every REDRAW_MS.
      if (shown && progress.done < progress.blobs && now - drawnAt < REDRAW_MS) return;
      drawnAt = now;
      shown = true;
      stream.write(
        `${CLEAR_ROW}${safe}: ${progress.done} of ${progress.blobs} blob(s), ${formatBytes(progress.bytes)} of ${formatBytes(progress.totalBytes)}`,
      );
    },
    clear() {
      if (shown) stream.write(CLEAR_ROW);
      shown = false;
    },
  };
}

/**
 * `vmplan image push IMAGE REF`: pushes a guest image to a registry and prints its reference with the digest.
 * IMAGE is a folder (kernel, initrd, maybe disk: what vmplan image build writes) or an image of the jobs file: its
 * files, or for a build or nix image the image cache's entry (a run prepares it first).
 */
export async function imagePush(
  args: string[],
  io: CliIo,
  cacheDir: string | undefined,
  onProgress?: OnProgress,
): Promise<TransferDone> {
  const [image, ref, ...extra] = args;
  if (image === undefined || ref === undefined || extra.length > 0)
    throw new InputError(
      'usage: vmplan image push IMAGE REF (IMAGE: a folder with kernel, initrd and maybe disk, or an image of the jobs file; REF e.g. ghcr.io/org/guest:1.2)',
    );
  const reference = parseReference(ref);
  if (reference.digest !== undefined)
    throw new InputError('vmplan image push: push to a tag; the digest is what the push prints');
  const files = await imageFiles(io, image, cacheDir);
  for (const [name, path] of [
    ['kernel', files.kernel],
    ['initrd', files.initrd],
  ] as const)
    if (!existsSync(path) || !statSync(path).isFile())
      throw new InputError(`vmplan image push: ${image} has no ${name} (${path})`);
  const client = new RegistryClient(reference, credentialsFor(reference.registry, io.env));
  const started = Date.now();
  const pushed = await pushGuestImage(client, files, reference.tag, onProgress);
  return {
    reference: formatReference({ ...reference, digest: pushed.digest }),
    transfer: pushed,
    ms: Date.now() - started,
    unchanged: pushed.unchanged,
  };
}

/** Where an image's files are: a folder given, or an image of the jobs file (prepared into the cache for builds). */
async function imageFiles(io: CliIo, image: string, cacheDir: string | undefined): Promise<GuestFiles> {
  const folder = resolve(io.cwd, image);
  if (existsSync(folder) && statSync(folder).isDirectory()) return folderFiles(folder);
  const plan = await planFromArgs(io, undefined, {}, LOCAL_TRUST);
  const node = plan.nodes.find((candidate) => candidate.kind === 'prepare' && candidate.image === image);
  if (node === undefined || node.kind !== 'prepare')
    throw new InputError(
      `vmplan image push: "${image}" is neither a folder nor an image a job of the jobs file uses${didYouMean(
        image,
        plan.nodes.flatMap((n) => (n.kind === 'prepare' ? [n.image] : [])),
      )}`,
    );
  const root = repositoryRoot(io.cwd);
  if (node.type === 'files')
    return {
      kernel: resolve(root, node.kernel),
      initrd: resolve(root, node.initrd),
      disk: node.disk === null ? null : resolve(root, node.disk),
    };
  if (node.type === 'oci')
    throw new InputError(`vmplan image push: image "${image}" already comes from ${node.reference}`);
  if (node.type === 'nix')
    throw new InputError(
      `vmplan image push: image "${image}" is built by nix: push its output, vmplan image push "$(nix build --print-out-paths ${node.installable})" REF`,
    );
  // A build image's cache entry, keyed as a run keys it.
  const { key } = await imageCacheKey(node, root);
  const base = join(resolve(io.cwd, cacheDir ?? defaultCacheDir(io.env)), 'images', key);
  if (!existsSync(join(base, 'kernel')))
    throw new InputError(
      `vmplan image push: image "${image}" is not prepared in the image cache yet (key ${key}): vmplan run prepares it first`,
    );
  return folderFiles(base);
}

/**
 * `vmplan image pull REF [--out DIR]`: pulls a guest image, verified, resuming an interrupted pull, into the image
 * cache (the entry a run of `oci: REF` boots, so that run fetches nothing); `--out` writes its files there too.
 */
export async function imagePull(
  args: string[],
  out: string | undefined,
  cacheDir: string | undefined,
  io: CliIo,
  onProgress?: OnProgress,
): Promise<TransferDone> {
  const [ref, ...extra] = args;
  if (ref === undefined || extra.length > 0) throw new InputError('usage: vmplan image pull REF [--out DIR]');
  const reference = parseReference(ref);
  const client = new RegistryClient(reference, credentialsFor(reference.registry, io.env));
  const cache = resolve(io.cwd, cacheDir ?? defaultCacheDir(io.env));
  const store = join(cache, 'oci-blobs');
  await leaseFolder(store);
  const started = Date.now();
  const digest = reference.digest ?? (await client.getManifest(reference.tag!)).digest;
  const images = new ImageCache(join(cache, 'images'));
  const key = ociCacheKey(digest);
  let transfer: Transfer | undefined;
  const signal = new AbortController().signal;
  await images.getOrBuild(
    key,
    { image: `${reference.registry}/${reference.repository}`, type: 'oci', inputs: [] },
    async (entry) => {
      transfer = await pullGuestImage(client, digest, entry, store, onProgress);
    },
    { signal, onWait: (message) => io.stderr(`${message}\n`) },
  );
  // Already in the cache: nothing fetched, against the image's size as its manifest says.
  transfer ??= { digest, moved: 0, bytes: 0, ...guestImageTotals((await client.getManifest(digest)).bytes) };
  let folder: string | undefined;
  if (out !== undefined) {
    folder = resolve(io.cwd, out);
    const written = await pullGuestImage(client, digest, folder, store, onProgress);
    transfer = { ...transfer, moved: transfer.moved + written.moved, bytes: transfer.bytes + written.bytes };
  }
  return {
    reference: formatReference({ ...reference, digest }),
    transfer,
    ms: Date.now() - started,
    ...(folder === undefined ? {} : { out: folder }),
  };
}
