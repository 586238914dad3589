import { execFile } from 'node:child_process';
import { existsSync, statSync, symlinkSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { InternalError } from '../errors.js';
import type { PreparedImage } from '../executors/contract.js';
import { HOST_SHELL } from '../executors/host/executor.js';
import { inheritableEnvironment } from '../executors/job-env.js';
import { RegistryClient, RegistryError } from '../oci/client.js';
import { credentialsFor } from '../oci/credentials.js';
import { pullGuestImage } from '../oci/guest-image.js';
import { parseReference } from '../oci/reference.js';
import { executorsUsing } from '../plan/image-users.js';
import { secretNamesOf } from '../plan/secrets.js';
import { NODE_DIR_VARIABLE } from '../process/ownership.js';
import { runProcessGroup } from '../process/run-process.js';
import { formatBytes } from '../util/bytes.js';
import { leaseFolder } from '../util/lease.js';
import { hashFile, ImageCache, imageCacheKey } from './cache.js';
import { type ImagePreparer, ImageProblem, type PrepareContext, type PrepareOutcome } from './contract.js';
import { imageProblems } from './verify.js';

const execFileAsync = promisify(execFile);
/** nix build and installables like .#guest are the nix-command and flakes features (experimental before 2.24). */
const NIX_FEATURES = ['--extra-experimental-features', 'nix-command flakes'];

/** The files an image consists of. */
interface ImageFiles {
  kernel: string;
  initrd: string;
  disk: string | null;
}

/**
 * Prepares guest images: prebuilt files are checked where they are; `build` and `nix` images are built once into
 * the image cache (`cache/images/<key>`, keyed by the definition and what it is made of: see imageCacheKey) and
 * reused by every later run until that key changes. Whatever the source, the files are checked before a job
 * boots them.
 */
export class HostImagePreparer implements ImagePreparer {
  constructor(
    private readonly cacheDir: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
    /** False for untrusted runs: images come from the cache only, nothing is built or evaluated on the host. */
    private readonly options: { buildOnHost: boolean } = { buildOnHost: true },
  ) {}

  async prepare(context: PrepareContext): Promise<PrepareOutcome> {
    try {
      const { files, cached } =
        context.node.type === 'files'
          ? await this.givenFiles(context)
          : context.node.type === 'oci'
            ? await this.pulled(context)
            : await this.cachedBuild(context);
      const { node } = context;
      const image: PreparedImage = { name: node.image, arch: node.arch, ...files, cmdline: node.cmdline };
      const problems = imageProblems(image, executorsUsing(context.plan, node));
      if (problems.length > 0) {
        await context.log.note(problems.map((problem) => `vmplan: ${problem}`).join('\n'));
        return { status: 'failed', image: undefined, cached, message: problems.join('; ') };
      }
      return { status: 'passed', image, cached, message: null };
    } catch (error) {
      if (!(error instanceof ImageProblem)) throw error;
      return { status: 'failed', image: undefined, cached: false, message: error.message };
    }
  }

  /** A `files` image: its files where the jobs file says, fingerprinted in the log. */
  private async givenFiles(context: PrepareContext): Promise<{ files: ImageFiles; cached: boolean }> {
    const { node, log } = context;
    if (node.type !== 'files') throw new InternalError(`image ${node.image} is not a files image`);
    const at = (path: string) => (isAbsolute(path) ? path : resolve(context.repositoryRoot, path));
    const files = {
      kernel: at(node.kernel),
      initrd: at(node.initrd),
      disk: node.disk === null ? null : at(node.disk),
    };
    const fingerprint = await fingerprintFiles(files);
    if (fingerprint !== undefined) await log.note(`vmplan: image "${node.image}": ${fingerprint}`);
    return { files, cached: false };
  }

  /**
   * An `oci` image: pulled by digest into the image cache once (verified, resumable: blobs are kept under
   * `oci-blobs/`), then served from there. Pulling runs nothing on the host, so untrusted runs may pull too, but
   * anonymously (a jobs file of theirs never gets the runner's registry credentials) and over public addresses only.
   */
  private async pulled(context: PrepareContext): Promise<{ files: ImageFiles; cached: boolean }> {
    const { node, log } = context;
    if (node.type !== 'oci') throw new InternalError(`image ${node.image} is not an oci image`);
    const { key } = await imageCacheKey(node, context.repositoryRoot);
    const cache = new ImageCache(join(this.cacheDir, 'images'));
    const reference = parseReference(node.reference, `images.${node.image}.oci`);
    const client = new RegistryClient(
      reference,
      this.options.buildOnHost ? credentialsFor(reference.registry, this.env) : undefined,
      { untrusted: !this.options.buildOnHost },
    );
    const result = await cache
      .getOrBuild(
        key,
        { image: node.image, type: 'oci', inputs: [] },
        async (out) => {
          const store = join(this.cacheDir, 'oci-blobs');
          // Held until the run ends: gc never removes a blob from under a pull.
          await leaseFolder(store, context.signal);
          const pulled = await pullGuestImage(client, node.digest, out, store);
          await log.note(
            `vmplan: image "${node.image}": fetched ${pulled.moved} of ${pulled.blobs} blob(s), ${formatBytes(pulled.bytes)} of ${formatBytes(pulled.totalBytes)}, of ${reference.registry}/${reference.repository}@${node.digest}`,
          );
        },
        { signal: context.signal, onWait: (message) => void log.note(message) },
      )
      .catch((error: unknown) => {
        if (error instanceof RegistryError) throw new ImageProblem(`image "${node.image}": ${error.message}`);
        throw error;
      });
    if (result.cached) await log.note(`vmplan: image "${node.image}" from the cache (${node.digest})`);
    const dir = cache.entryDir(key);
    const files = {
      kernel: join(dir, 'kernel'),
      initrd: join(dir, 'initrd'),
      disk: existsSync(join(dir, 'disk')) ? join(dir, 'disk') : null,
    };
    return { files, cached: result.cached };
  }

  /** A `build` or `nix` image: from the cache, or built into it (again, when a cached entry lost its files). */
  private async cachedBuild(context: PrepareContext): Promise<{ files: ImageFiles; cached: boolean }> {
    const { node, log } = context;
    if (node.type === 'files' || node.type === 'oci')
      throw new InternalError(`image ${node.image} is not built on the host`);
    if (!this.options.buildOnHost) return this.cachedOnly(context);
    const derivation = node.type === 'nix' ? await this.nixDerivation(context, node.installable) : undefined;
    const { key, inputs } = await imageCacheKey(node, context.repositoryRoot, derivation);
    const cache = new ImageCache(join(this.cacheDir, 'images'));
    const dir = cache.entryDir(key);
    const base = node.type === 'nix' ? join(dir, 'result') : dir;
    const getOrBuild = () =>
      cache.getOrBuild(
        key,
        { image: node.image, type: node.type, inputs },
        (out) =>
          node.type === 'build'
            ? this.build(context, node.run, out)
            : this.nixBuild(context, node.installable, out, `${dir}.nix-result`),
        { signal: context.signal, onWait: (message) => void log.note(message) },
      );
    let result = await getOrBuild();
    if (result.cached && missingOutputs(base) !== undefined) {
      // E.g. its nix output was garbage-collected: build it again rather than fail.
      await log.note(`vmplan: image "${node.image}": cache entry ${key} is incomplete; building it again`);
      cache.remove(key);
      result = await getOrBuild();
    }
    const seconds = (result.entry.buildMs / 1000).toFixed(1);
    await log.note(
      result.cached
        ? `vmplan: image "${node.image}" from the cache (key ${key}, built ${result.entry.createdAt} in ${seconds} s)`
        : `vmplan: image "${node.image}" built in ${seconds} s and cached (key ${key})`,
    );
    const files = {
      kernel: join(base, 'kernel'),
      initrd: join(base, 'initrd'),
      disk: existsSync(join(base, 'disk')) ? join(base, 'disk') : null,
    };
    return { files, cached: result.cached };
  }

  /** A build image an untrusted run may boot: only an entry a trusted run put into the cache. */
  private async cachedOnly(context: PrepareContext): Promise<{ files: ImageFiles; cached: boolean }> {
    const { node, log } = context;
    if (node.type !== 'build')
      throw new ImageProblem(`a ${node.type} image is never prepared on the host in an untrusted run`);
    const { key } = await imageCacheKey(node, context.repositoryRoot);
    const cache = new ImageCache(join(this.cacheDir, 'images'));
    const entry = await cache.use(key, {
      signal: context.signal,
      onWait: (message) => void log.note(message),
    });
    const dir = cache.entryDir(key);
    if (entry === undefined || missingOutputs(dir) !== undefined)
      throw new ImageProblem(
        `image "${node.image}" (key ${key}) is not in the image cache, and an untrusted run never builds one`,
      );
    await log.note(
      `vmplan: image "${node.image}" from the cache (key ${key}, built ${entry.createdAt}); untrusted run`,
    );
    const files = {
      kernel: join(dir, 'kernel'),
      initrd: join(dir, 'initrd'),
      disk: existsSync(join(dir, 'disk')) ? join(dir, 'disk') : null,
    };
    return { files, cached: true };
  }

  /** Runs the image's build command on the host with VMPLAN_IMAGE_OUT set; throws an ImageProblem saying why not. */
  private async build(context: PrepareContext, command: string, out: string): Promise<void> {
    const result = await runProcessGroup(HOST_SHELL[0], [...HOST_SHELL.slice(1), '-c', command], {
      cwd: context.repositoryRoot,
      env: {
        ...inheritableEnvironment(this.env, secretNamesOf(context.plan)),
        VMPLAN_IMAGE_OUT: out,
        VMPLAN_IMAGE_ARCH: context.node.arch,
        VMPLAN_IMAGE: context.node.image,
        [NODE_DIR_VARIABLE]: context.nodeDir,
      },
      log: context.log,
      signal: context.signal,
      killGraceMs: context.killGraceMs,
      onStart: (pgid) => context.onProcess({ pid: pgid, group: true, restSocket: null }),
    });
    if (result.spawnError !== undefined)
      throw new ImageProblem(`could not start the build: ${result.spawnError}`);
    if (result.exitCode !== 0)
      throw new ImageProblem(`the image build command exited with ${result.exitCode ?? result.signal}`);
    requireOutputs(out, 'the build command');
  }

  /** The store derivation of an installable (`nix path-info --derivation`): what the image's cache key follows. */
  private async nixDerivation(context: PrepareContext, installable: string): Promise<string> {
    try {
      const { stdout } = await execFileAsync(
        'nix',
        [...NIX_FEATURES, 'path-info', '--derivation', installable],
        {
          cwd: context.repositoryRoot,
          env: inheritableEnvironment(this.env, secretNamesOf(context.plan)),
          signal: context.signal,
          maxBuffer: 4 * 1024 * 1024,
        },
      );
      const derivation = stdout.trim().split('\n').at(-1) ?? '';
      if (!derivation.endsWith('.drv'))
        throw new ImageProblem(`nix path-info --derivation ${installable} printed no derivation`);
      return derivation;
    } catch (error) {
      if (error instanceof ImageProblem) throw error;
      const failure = error as NodeJS.ErrnoException & { stderr?: string };
      if (failure.code === 'ENOENT') throw new ImageProblem(`could not run nix (not found): ${NO_NIX}`);
      const why = (failure.stderr ?? '').trim().split('\n').filter(Boolean).at(-1) ?? failure.message;
      await context.log.note(failure.stderr ?? '');
      throw new ImageProblem(`nix could not evaluate ${installable}: ${why}`);
    }
  }

  /**
   * `nix build --out-link <gcRoot> <installable>`, with the entry's `result` pointing at that link. The link lives
   * beside the entry, at a path that never moves (the entry folder is renamed into place when published), so it
   * stays a garbage-collector root and nix never deletes the image under the cache.
   */
  private async nixBuild(
    context: PrepareContext,
    installable: string,
    out: string,
    gcRoot: string,
  ): Promise<void> {
    const link = join(out, 'result');
    const result = await runProcessGroup(
      'nix',
      [...NIX_FEATURES, 'build', '--out-link', gcRoot, '--print-build-logs', installable],
      {
        cwd: context.repositoryRoot,
        env: {
          ...inheritableEnvironment(this.env, secretNamesOf(context.plan)),
          [NODE_DIR_VARIABLE]: context.nodeDir,
        },
        log: context.log,
        signal: context.signal,
        killGraceMs: context.killGraceMs,
        onStart: (pgid) => context.onProcess({ pid: pgid, group: true, restSocket: null }),
      },
    );
    if (result.spawnError !== undefined)
      throw new ImageProblem(`could not run nix (${result.spawnError}): ${NO_NIX}`);
    if (result.exitCode !== 0)
      throw new ImageProblem(`nix build ${installable} exited with ${result.exitCode ?? result.signal}`);
    symlinkSync(gcRoot, link);
    requireOutputs(link, `nix build ${installable}`);
  }
}

/**
 * What prebuilt image files are, for the log (which kernel did this run boot?): kernel and initrd by content,
 * the disk (often gigabytes) by size and modification time. Undefined when a file is missing (checked later).
 */
async function fingerprintFiles(files: ImageFiles): Promise<string | undefined> {
  try {
    const parts = [
      `kernel sha256 ${(await hashFile(files.kernel)).slice(0, 16)}`,
      `initrd sha256 ${(await hashFile(files.initrd)).slice(0, 16)}`,
    ];
    if (files.disk !== null) {
      const disk = statSync(files.disk);
      parts.push(`disk ${disk.size} bytes, modified ${disk.mtime.toISOString()}`);
    }
    return parts.join(', ');
  } catch {
    return undefined;
  }
}

const NO_NIX = 'install nix (https://nixos.org/download) or use a build or files image';

/** The image files missing from a build's output folder (kernel, initrd), if any. */
function missingOutputs(folder: string): string[] | undefined {
  const missing = ['kernel', 'initrd'].filter((name) => !existsSync(join(folder, name)));
  return missing.length === 0 ? undefined : missing;
}

/** Throws an ImageProblem when a build's output folder lacks the kernel or initrd. */
function requireOutputs(folder: string, what: string): void {
  const missing = missingOutputs(folder);
  if (missing !== undefined)
    throw new ImageProblem(
      `${what} did not produce ${missing.join(' and ')} (expected in $VMPLAN_IMAGE_OUT or the nix output)`,
    );
}
