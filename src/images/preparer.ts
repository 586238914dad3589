import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { ImagePreparer, PrepareContext, PreparedImage, PrepareOutcome } from '../engine/executor.js';
import { runProcessGroup } from '../executors/run-process.js';
import type { PrepareNode } from '../plan/schema.js';
import { executorsUsing, imageProblems } from './verify.js';

/** Prepares guest images: prebuilt files, a host build command, or a nix build; then checks what it got. */
export class HostImagePreparer implements ImagePreparer {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async prepare(context: PrepareContext): Promise<PrepareOutcome> {
    const { node, log } = context;
    let image: PreparedImage | undefined;
    let failure: string | undefined;
    if (node.type === 'files') {
      const at = (path: string) => (isAbsolute(path) ? path : resolve(context.repositoryRoot, path));
      image = imageOf(node, at(node.kernel), at(node.initrd), node.disk === null ? null : at(node.disk));
    } else {
      const built =
        node.type === 'build'
          ? await this.build(context, node.run)
          : await this.nixBuild(context, node.installable);
      if (typeof built === 'string') failure = built;
      else image = imageOf(node, built.kernel, built.initrd, built.disk);
    }
    if (image === undefined)
      return { status: 'failed', image: undefined, cached: false, message: failure ?? 'no image' };
    const problems = imageProblems(image, executorsUsing(context.plan, node));
    if (problems.length > 0) {
      await log.note(problems.map((problem) => `vmplan: ${problem}`).join('\n'));
      return { status: 'failed', image: undefined, cached: false, message: problems.join('; ') };
    }
    await log.note(
      `vmplan: image "${node.image}" ready: kernel ${image.kernel}, initrd ${image.initrd}${image.disk === null ? '' : `, disk ${image.disk}`}`,
    );
    return { status: 'passed', image, cached: false, message: null };
  }

  /** Runs the image's build command on the host with VMPLAN_IMAGE_OUT set; the outputs are read from there. */
  private async build(
    context: PrepareContext,
    command: string,
  ): Promise<string | { kernel: string; initrd: string; disk: string | null }> {
    const out = join(context.nodeDir, 'out');
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
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
    return outputsIn(out, 'the build command');
  }

  /** `nix build --out-link <node>/result <installable>`; the outputs are read from the result. */
  private async nixBuild(
    context: PrepareContext,
    installable: string,
  ): Promise<string | { kernel: string; initrd: string; disk: string | null }> {
    const link = join(context.nodeDir, 'result');
    const result = await runProcessGroup(
      'nix',
      ['build', '--out-link', link, '--print-build-logs', installable],
      {
        cwd: context.repositoryRoot,
        env: this.env,
        log: context.log,
        signal: context.signal,
        killGraceMs: context.killGraceMs,
        onStart: (pgid) => context.onProcess({ pid: pgid, group: true, restSocket: null }),
      },
    );
    if (result.spawnError !== undefined) return `could not run nix (is it installed?): ${result.spawnError}`;
    if (result.exitCode !== 0)
      return `nix build ${installable} exited with ${result.exitCode ?? result.signal}`;
    return outputsIn(link, `nix build ${installable}`);
  }
}

function imageOf(node: PrepareNode, kernel: string, initrd: string, disk: string | null): PreparedImage {
  return { name: node.image, arch: node.arch, kernel, initrd, disk, cmdline: node.cmdline };
}

/** The files an image build produced: `kernel`, `initrd` and optionally `disk` in a folder. */
function outputsIn(
  folder: string,
  what: string,
): string | { kernel: string; initrd: string; disk: string | null } {
  const kernel = join(folder, 'kernel');
  const initrd = join(folder, 'initrd');
  const missing = [kernel, initrd].filter((path) => !existsSync(path));
  if (missing.length > 0)
    return `${what} did not produce ${missing.map((path) => path.slice(folder.length + 1)).join(' and ')} in ${folder}`;
  const disk = join(folder, 'disk');
  return { kernel, initrd, disk: existsSync(disk) ? disk : null };
}
