import { execFile } from 'node:child_process';
import { existsSync, statSync, symlinkSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ImagePreparer, PrepareContext, PreparedImage, PrepareOutcome } from '../engine/executor.js';
import { HOST_SHELL } from '../executors/host.js';
import { runProcessGroup } from '../executors/run-process.js';
import { NODE_DIR_VARIABLE } from '../executors/stop-recorded.js';
import { hashFile, ImageCache, imageCacheKey } from './cache.js';
import { executorsUsing, imageProblems } from './verify.js';

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
  ) {}

  async prepare(context: PrepareContext): Promise<PrepareOutcome> {
    const { node, log } = context;
    let files: ImageFiles;
    let cached = false;
    if (node.type === 'files') {
      const at = (path: string) => (isAbsolute(path) ? path : resolve(context.repositoryRoot, path));
      files = {
        kernel: at(node.kernel),
        initrd: at(node.initrd),
        disk: node.disk === null ? null : at(node.disk),
      };
      const fingerprint = await fingerprintFiles(files);
      if (fingerprint !== undefined) await log.note(`vmplan: image "${node.image}": ${fingerprint}`);
    } else {
      let derivation: string | undefined;
      if (node.type === 'nix') {
        const evaluated = await this.nixDerivation(context, node.installable);
        if ('error' in evaluated)
          return { status: 'failed', image: undefined, cached: false, message: evaluated.error };
        derivation = evaluated.derivation;
      }
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
      if (!('error' in result) && result.cached && missingOutputs(base, 'the cached image') !== undefined) {
        // E.g. its nix output was garbage-collected: build it again rather than fail.
        await log.note(`vmplan: image "${node.image}": cache entry ${key} is incomplete; building it again`);
        cache.remove(key);
        result = await getOrBuild();
      }
      if ('error' in result)
        return { status: 'failed', image: undefined, cached: false, message: result.error };
      cached = result.cached;
      files = {
        kernel: join(base, 'kernel'),
        initrd: join(base, 'initrd'),
        disk: existsSync(join(base, 'disk')) ? join(base, 'disk') : null,
      };
      await log.note(
        cached
          ? `vmplan: image "${node.image}" from the cache (key ${key}, built ${result.entry.createdAt} in ${(result.entry.buildMs / 1000).toFixed(1)} s)`
          : `vmplan: image "${node.image}" built in ${(result.entry.buildMs / 1000).toFixed(1)} s and cached (key ${key})`,
      );
    }
    const image: PreparedImage = { name: node.image, arch: node.arch, ...files, cmdline: node.cmdline };
    const problems = imageProblems(image, executorsUsing(context.plan, node));
    if (problems.length > 0) {
      await log.note(problems.map((problem) => `vmplan: ${problem}`).join('\n'));
      return { status: 'failed', image: undefined, cached, message: problems.join('; ') };
    }
    return { status: 'passed', image, cached, message: null };
  }

  /** Runs the image's build command on the host with VMPLAN_IMAGE_OUT set; undefined on success, else why not. */
  private async build(context: PrepareContext, command: string, out: string): Promise<string | undefined> {
    const result = await runProcessGroup(HOST_SHELL[0], [...HOST_SHELL.slice(1), '-c', command], {
      cwd: context.repositoryRoot,
      env: {
        ...this.env,
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
    if (result.spawnError !== undefined) return `could not start the build: ${result.spawnError}`;
    if (result.exitCode !== 0)
      return `the image build command exited with ${result.exitCode ?? result.signal}`;
    return missingOutputs(out, 'the build command');
  }

  /** The store derivation of an installable (`nix path-info --derivation`): what the image's cache key follows. */
  private async nixDerivation(
    context: PrepareContext,
    installable: string,
  ): Promise<{ derivation: string } | { error: string }> {
    try {
      const { stdout } = await execFileAsync(
        'nix',
        [...NIX_FEATURES, 'path-info', '--derivation', installable],
        {
          cwd: context.repositoryRoot,
          env: this.env,
          signal: context.signal,
          maxBuffer: 4 * 1024 * 1024,
        },
      );
      const derivation = stdout.trim().split('\n').at(-1) ?? '';
      if (!derivation.endsWith('.drv'))
        return { error: `nix path-info --derivation ${installable} printed no derivation` };
      return { derivation };
    } catch (error) {
      const failure = error as NodeJS.ErrnoException & { stderr?: string };
      if (failure.code === 'ENOENT')
        return {
          error:
            'could not run nix (not found): install nix (https://nixos.org/download) or use a build or files image',
        };
      const why = (failure.stderr ?? '').trim().split('\n').filter(Boolean).at(-1) ?? failure.message;
      await context.log.note(failure.stderr ?? '');
      return { error: `nix could not evaluate ${installable}: ${why}` };
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
  ): Promise<string | undefined> {
    const link = join(out, 'result');
    const result = await runProcessGroup(
      'nix',
      [...NIX_FEATURES, 'build', '--out-link', gcRoot, '--print-build-logs', installable],
      {
        cwd: context.repositoryRoot,
        env: { ...this.env, [NODE_DIR_VARIABLE]: context.nodeDir },
        log: context.log,
        signal: context.signal,
        killGraceMs: context.killGraceMs,
        onStart: (pgid) => context.onProcess({ pid: pgid, group: true, restSocket: null }),
      },
    );
    if (result.spawnError !== undefined) {
      return `could not run nix (${result.spawnError}): install nix (https://nixos.org/download) or use a build or files image`;
    }
    if (result.exitCode !== 0)
      return `nix build ${installable} exited with ${result.exitCode ?? result.signal}`;
    symlinkSync(gcRoot, link);
    return missingOutputs(link, `nix build ${installable}`);
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

/** Why an image build's output folder is incomplete, or undefined when kernel and initrd are there. */
function missingOutputs(folder: string, what: string): string | undefined {
  const missing = ['kernel', 'initrd'].filter((name) => !existsSync(join(folder, name)));
  return missing.length === 0
    ? undefined
    : `${what} did not produce ${missing.join(' and ')} (expected in $VMPLAN_IMAGE_OUT or the nix output)`;
}
