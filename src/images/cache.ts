import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import picomatch from 'picomatch';
import { z } from 'zod';
import type { PrepareNode } from '../plan/schema.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { compareText, sha256 } from '../util/canonical-json.js';
import { type Holder, HolderSchema, holderAlive, lockOf, takeLease, tryLock, unlock } from '../util/lease.js';
import { VMPLAN_VERSION } from '../version.js';
import { ImageProblem } from './contract.js';

/** What a cache entry records next to the image files. */
export const CacheEntrySchema = z.strictObject({
  key: z.string(),
  image: z.string(),
  type: z.enum(['files', 'build', 'nix', 'oci']),
  createdAt: z.iso.datetime(),
  buildMs: z.number().int().nonnegative(),
  inputs: z.array(z.strictObject({ path: z.string(), sha256: z.string() })),
});
/** A cache entry's record. */
export type CacheEntry = z.infer<typeof CacheEntrySchema>;

/** Hashes a file's content without reading it into memory at once. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Files of `root` matching the globs, relative, sorted (the inputs of a build image). */
export function matchingFiles(root: string, globs: readonly string[]): string[] {
  if (globs.length === 0) return [];
  const matches = picomatch([...globs], { dot: true });
  const found: string[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(relative === '' ? root : join(root, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.name === '.git' || entry.name === 'node_modules' || entry.name === '.vmplan') continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && matches(path)) found.push(path);
    }
  };
  walk('');
  return found.sort(compareText);
}

/**
 * Repository files a build command names (`./ci/make-image.sh`, `bash scripts/guest.sh`), relative, sorted —
 * not files it writes (redirection targets, `tee` arguments).
 */
export function filesNamedIn(command: string, repositoryRoot: string): string[] {
  const root = resolve(repositoryRoot);
  const found = new Set<string>();
  const read = command
    .replace(/(?:\d*>>?|&>>?|>\|)\s*[^\s;&|()<>]+/g, ' ')
    .replace(/\btee\s+(?:-a\s+)?[^\s;&|()<>]+/g, ' ');
  for (const token of read.split(/[\s;&|()<>`"'=]+/)) {
    if (token === '' || token.startsWith('-') || token.startsWith('$')) continue;
    const path = resolve(root, token);
    const inside = relative(root, path);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) continue;
    try {
      // Followed only while it stays in the repository: a link out of it (a pull request's) is never read.
      const real = realpathSync(path);
      const realInside = relative(realpathSync(root), real);
      if (realInside.startsWith('..') || isAbsolute(realInside)) continue;
      if (statSync(real).isFile()) found.add(inside.split('\\').join('/'));
    } catch {
      // not a file of the repository
    }
  }
  return [...found].sort(compareText);
}

/**
 * The cache key of a prepare node: its definition key (from the plan), plus for a build the content of the files
 * it names (its `inputs` globs and the repository files its command mentions) and, when the command runs vmplan's
 * own image builder, the vmplan version (its scripts and guest agent go into the image); for nix, the derivation
 * (so a changed flake or source rebuilds). Editing what an image is made of rebuilds it; nothing else does.
 */
export async function imageCacheKey(
  node: PrepareNode,
  repositoryRoot: string,
  nixDerivation?: string,
): Promise<{ key: string; inputs: CacheEntry['inputs'] }> {
  // An oci image is its manifest's bytes: keyed by digest alone, so `vmplan image pull REF` fills the very entry a
  // run of `oci: REF` uses, and a tag that moves never serves the bytes it pointed at before.
  if (node.type === 'oci') return { key: ociCacheKey(node.digest), inputs: [] };
  const inputs: CacheEntry['inputs'] = [];
  if (node.type === 'build') {
    const files = new Set([
      ...matchingFiles(repositoryRoot, node.inputs),
      ...filesNamedIn(node.run, repositoryRoot),
    ]);
    for (const path of [...files].sort(compareText))
      inputs.push({ path, sha256: await hashFile(join(repositoryRoot, path)) });
    if (/\bvmplan\b/.test(node.run))
      inputs.push({ path: `vmplan ${VMPLAN_VERSION}`, sha256: sha256(VMPLAN_VERSION) });
  }
  if (nixDerivation !== undefined) inputs.push({ path: nixDerivation, sha256: sha256(nixDerivation) });
  const key = sha256(JSON.stringify({ definition: node.cacheKey, arch: node.arch, inputs })).slice(0, 32);
  return { key, inputs };
}

/** The image cache key of a guest image in a registry: its manifest digest's. */
export function ociCacheKey(digest: string): string {
  return sha256(JSON.stringify({ oci: digest })).slice(0, 32);
}

/** Image cache: `cache/images/<key>/` holds kernel, initrd, disk and entry.json; builds are published atomically. */
export class ImageCache {
  constructor(private readonly folder: string) {}

  /** Folder of a finished entry. */
  entryDir(key: string): string {
    return join(this.folder, key);
  }

  /** Forgets an entry (a damaged one, to build it again). */
  remove(key: string): void {
    rmSync(this.entryDir(key), { recursive: true, force: true });
  }

  /** The entry for a key when it is complete, else undefined. */
  lookup(key: string): CacheEntry | undefined {
    const file = join(this.entryDir(key), 'entry.json');
    if (!existsSync(file)) return undefined;
    try {
      return CacheEntrySchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      return undefined; // a damaged entry is rebuilt
    }
  }

  /**
   * The entry for a key, marked in use by this process (a lease gc respects until the run ends), or undefined
   * when there is none. Waits while another process holds the entry's lock (a build, or gc removing it).
   */
  async use(key: string, options: LockOptions): Promise<CacheEntry | undefined> {
    mkdirSync(this.folder, { recursive: true });
    await this.lock(key, options);
    try {
      const entry = this.lookup(key);
      if (entry !== undefined) takeLease(this.entryDir(key));
      return entry;
    } finally {
      unlock(this.entryDir(key));
    }
  }

  /**
   * Builds an entry with `build(outputFolder)` unless it exists, holding a lock so that concurrent runs on one
   * machine build a key once and the others wait. A lock whose owner died is taken over. `build` throws
   * (an ImageProblem for a failure the user can fix) and leaves nothing behind in the cache when it does.
   * The entry returned is leased to this process (see `use`).
   */
  async getOrBuild(
    key: string,
    describe: Omit<CacheEntry, 'key' | 'createdAt' | 'buildMs'>,
    build: (out: string) => Promise<void>,
    options: LockOptions,
  ): Promise<{ entry: CacheEntry; cached: boolean }> {
    mkdirSync(this.folder, { recursive: true });
    removeOldTombstones(this.folder, key);
    const target = this.entryDir(key);
    await this.lock(key, options);
    try {
      const done = this.lookup(key);
      if (done !== undefined) {
        takeLease(target);
        return { entry: done, cached: true };
      }
      const out = join(this.folder, `${key}.tmp-${randomBytes(4).toString('hex')}`);
      mkdirSync(out, { recursive: true });
      const started = Date.now();
      try {
        await build(out);
      } catch (error) {
        rmSync(out, { recursive: true, force: true });
        throw error;
      }
      const entry: CacheEntry = {
        ...describe,
        key,
        createdAt: new Date().toISOString(),
        buildMs: Date.now() - started,
      };
      writeJsonAtomic(join(out, 'entry.json'), entry);
      rmSync(target, { recursive: true, force: true });
      renameSync(out, target);
      takeLease(target);
      return { entry, cached: false };
    } finally {
      unlock(target);
    }
  }

  /** Takes a key's lock, waiting for a live holder and taking over the lock of one that died on this machine. */
  private async lock(key: string, options: LockOptions): Promise<void> {
    const target = this.entryDir(key);
    const lock = lockOf(target);
    let waited = false;
    for (;;) {
      if (options.signal.aborted) throw new ImageProblem('stopped while waiting for the image cache lock');
      if (tryLock(target)) return;
      // The inode first: a takeover is only ever of the lock whose owner was read (see takeOverStaleLock).
      const inode = inodeOf(lock);
      const owner = readOwner(lock);
      if (inode !== undefined && owner !== undefined && !holderAlive(owner)) {
        takeOverStaleLock(lock, inode, owner);
        continue;
      }
      // Locks are also held for moments (a lease, gc): only a missing entry means someone is building it.
      if (!waited && this.lookup(key) === undefined) {
        options.onWait(
          `vmplan: waiting for ${owner === undefined ? 'another vmplan' : `vmplan (pid ${owner.pid})`}, which is building this image`,
        );
        waited = true;
      }
      await sleep(options.pollMs ?? 250);
    }
  }
}

/** How a cache operation waits for a key's lock. */
export interface LockOptions {
  signal: AbortSignal;
  onWait: (message: string) => void;
  pollMs?: number;
}

/** How long the tombstone of a taken-over lock is kept (it stops a second waiter from taking over a new lock). */
const TOMBSTONE_MS = 10 * 60_000;

/**
 * Takes over a lock whose builder died, without ever taking a live one. The waiter first claims a tombstone named
 * after the dead lock (its inode and owner, read before anything else) with an exclusive mkdir: of several
 * waiters that saw the same dead lock exactly one claims it, and only that one moves the lock into it. The
 * others find the claim and go back to waiting, so none of them can move a new, live lock.
 */
function takeOverStaleLock(lock: string, inode: number, owner: Holder): void {
  const tombstone = `${lock}.stale-${inode}-${owner.pid}-${sha256(owner.startedAt).slice(0, 8)}`;
  try {
    mkdirSync(tombstone);
  } catch {
    return; // another waiter claimed this dead lock
  }
  try {
    renameSync(lock, join(tombstone, 'lock'));
  } catch {
    // gone already
  }
}

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

function removeOldTombstones(folder: string, key: string): void {
  for (const name of readdirSync(folder)) {
    if (!name.startsWith(`${key}.lock.stale-`)) continue;
    const path = join(folder, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > TOMBSTONE_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // removed meanwhile
    }
  }
}

function readOwner(lock: string): Holder | undefined {
  try {
    return HolderSchema.parse(JSON.parse(readFileSync(join(lock, 'owner.json'), 'utf8')));
  } catch {
    // Just created (owner.json not written yet) or damaged: a lock this old without an owner is stale.
    try {
      if (Date.now() - statSync(lock).mtimeMs > 60_000)
        return { pid: 0, hostname: hostname(), startedAt: '' };
    } catch {
      // gone
    }
    return undefined;
  }
}
