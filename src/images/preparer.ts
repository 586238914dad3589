import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { ImagePreparer, PrepareContext, PreparedImage, PrepareOutcome } from '../engine/executor.js';
import { runProcessGroup } from '../executors/run-process.js';
import { ImageCache, imageCacheKey } from './cache.js';
import { executorsUsing, imageProblems } from './verify.js';

/** The files an image consists of. */
interface ImageFiles {
  kernel: string;
  initrd: string;
  disk: string | null;
}

/**
 * Prepares guest images: prebuilt files are checked where they are; `build` and `nix` images are built once into
 * the image cache (`cache/images/<key>`, keyed by the definition and the content of the build's inputs) and
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
    } else {
      const { key, inputs } = await imageCacheKey(node, context.repositoryRoot);
      const cache = new ImageCache(join(this.cacheDir, 'images'));
      const result = await cache.getOrBuild(
        key,
        { image: node.image, type: node.type, inputs },
        (out) =>
          node.type === 'build'
            ? this.build(context, node.run, out)
            : this.nixBuild(context, node.installable, out),
        { signal: context.signal, onWait: (message) => void log.note(message) },
      );
      if ('error' in result)
        return { status: 'failed', image: undefined, cached: false, message: result.error };
      cached = result.cached;
      const dir = cache.entryDir(key);
      const base = node.type === 'nix' ? join(dir, 'result') : dir;
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
    const result = await runProcessGroup(
      'bash',
      ['--noprofile', '--norc', '-eo', 'pipefail', '-c', command],
      {
        cwd: context.repositoryRoot,
        env: {
          ...this.env,
          VMPLAN_IMAGE_OUT: out,
          VMPLAN_IMAGE_ARCH: context.node.arch,
          VMPLAN_IMAGE: context.node.image,
        },
        log: context.log,
        signal: context.signal,
        killGraceMs: context.killGraceMs,
        onStart: (pgid) => context.onProcess({ pid: pgid, group: true, restSocket: null }),
      },
    );
    if (result.spawnError !== undefined) return `could not start the build: ${result.spawnError}`;
    if (result.exitCode !== 0)
      return `the image build command exited with ${result.exitCode ?? result.signal}`;
    return missingOutputs(out, 'the build command');
  }

  /** `nix build --out-link <entry>/result <installable>`: nix caches the build, the link keeps it alive. */
  private async nixBuild(
    context: PrepareContext,
    installable: string,
    out: string,
  ): Promise<string | undefined> {
    const link = join(out, 'result');
    // nix build and installables like .#guest are the nix-command and flakes features (experimental before 2.24).
    const features = ['--extra-experimental-features', 'nix-command flakes'];
    const result = await runProcessGroup(
      'nix',
      [...features, 'build', '--out-link', link, '--print-build-logs', installable],
      {
        cwd: context.repositoryRoot,
        env: this.env,
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
    return missingOutputs(link, `nix build ${installable}`);
  }
}

/** Why an image build's output folder is incomplete, or undefined when kernel and initrd are there. */
function missingOutputs(folder: string, what: string): string | undefined {
  const missing = ['kernel', 'initrd'].filter((name) => !existsSync(join(folder, name)));
  return missing.length === 0
    ? undefined
    : `${what} did not produce ${missing.join(' and ')} (expected in $VMPLAN_IMAGE_OUT or the nix output)`;
}
