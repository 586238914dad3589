import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../errors.js';
import { RegistryError } from '../../oci/client.js';
import { leaseFolder } from '../../util/lease.js';
import { parseCommandArgs } from '../args.js';
import { type CliIo, EXIT } from '../io.js';
import { JSON_FLAG, printJson } from '../json.js';
import type { Flags } from '../spec.js';
import { terminalMode } from '../terminal.js';
import {
  imagePull,
  imagePush,
  type TransferDone,
  transferLine,
  transferProgressLine,
} from './image-registry.js';
import { CACHE_DIR } from './run.js';

/** The guest/ folder that ships with vmplan (found from this module, in the sources or the bundle). */
export function guestFolder(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(folder, 'guest', 'build-debian-guest.sh'))) return join(folder, 'guest');
    folder = dirname(folder);
  }
  throw new Error("cannot find vmplan's guest/ folder next to the program");
}

/** The flags of `vmplan image build`. */
export const IMAGE_FLAGS = {
  arch: {
    type: 'string',
    value: 'arm64|amd64',
    choices: ['arm64', 'amd64'],
    description: 'Guest architecture (required).',
  },
  out: { type: 'string', value: 'DIR', description: 'Where to write kernel, initrd and disk.' },
  suite: { type: 'string', value: 'S', description: 'debian: the Debian suite (default bookworm).' },
  packages: { type: 'string', value: '"..."', description: 'debian: extra packages, space-separated.' },
  setup: { type: 'string', value: 'FILE', description: 'debian: a script run in the image as root.' },
  size: { type: 'string', value: 'SIZE', description: 'debian: the root disk size (default 8G).' },
  mirror: { type: 'string', value: 'URL', description: 'debian: the Debian mirror to use.' },
  cache: { type: 'string', value: 'DIR', description: 'debian: a folder caching downloaded packages.' },
  ...CACHE_DIR,
  ...JSON_FLAG,
} as const satisfies Flags;

/**
 * `vmplan image build debian --arch arm64|amd64 [--suite S] [--packages "..."] [--setup FILE] [--size 8G] --out DIR`
 * and `vmplan image build test-guest --arch ...`: builds a guest image with the scripts in guest/.
 */
export async function imageCommand(args: string[], io: CliIo): Promise<number> {
  const [verb, kind, ...rest] = args;
  if (verb === 'push' || verb === 'pull') {
    const { values, positionals } = parseCommandArgs(`image ${verb}`, args.slice(1), IMAGE_FLAGS);
    const json = values.json === true;
    let done: TransferDone;
    // A line rewritten while blobs move, on a terminal someone watches; never with --json.
    const stream = io.stderrStream;
    const progress = transferProgressLine(
      !json && stream !== undefined && terminalMode(stream, io.env).live ? stream : undefined,
      `${verb === 'push' ? 'pushing' : 'pulling'} ${(verb === 'push' ? positionals[1] : positionals[0]) ?? ''}`,
    );
    try {
      done = await (verb === 'push'
        ? imagePush(positionals, io, values['cache-dir'], progress.onProgress)
        : imagePull(positionals, values.out, values['cache-dir'], io, progress.onProgress));
    } catch (error) {
      progress.clear();
      if (!(error instanceof RegistryError)) throw error;
      io.stderr(`vmplan image ${verb}: ${error.message}\n`);
      if (json) printJson(io, 'image', false, { action: verb, error: error.message });
      return EXIT.failed;
    }
    progress.clear();
    io.stderr(`${transferLine(verb === 'push' ? 'sent' : 'fetched', done)}\n`);
    if (json)
      printJson(io, 'image', true, {
        action: verb,
        reference: done.reference,
        digest: done.transfer.digest,
        ...(done.out === undefined ? {} : { out: done.out }),
        ...(done.unchanged === undefined ? {} : { unchanged: done.unchanged }),
        blobs: done.transfer.blobs,
        moved: done.transfer.moved,
        bytes: done.transfer.bytes,
        totalBytes: done.transfer.totalBytes,
        ms: done.ms,
      });
    else io.stdout(`${done.reference}\n`);
    return EXIT.ok;
  }
  if (verb !== 'build' || (kind !== 'debian' && kind !== 'test-guest')) {
    throw new InputError(
      'usage: vmplan image build debian|test-guest --arch arm64|amd64 [flags], vmplan image push DIR REF, vmplan image pull REF [--out DIR] (see vmplan image --help)',
    );
  }
  const { values } = parseCommandArgs('image build', rest, IMAGE_FLAGS);
  if (values.arch !== 'arm64' && values.arch !== 'amd64')
    throw new InputError('vmplan image build: --arch arm64 or --arch amd64 is required');
  const script = join(guestFolder(), kind === 'debian' ? 'build-debian-guest.sh' : 'build-test-guest.sh');
  const scriptArgs = ['--arch', values.arch];
  if (kind === 'debian') {
    if (values.out === undefined) throw new InputError('vmplan image build debian: --out DIR is required');
    scriptArgs.push('--out', resolve(io.cwd, values.out));
    for (const name of ['suite', 'packages', 'size', 'mirror'] as const)
      if (values[name] !== undefined) scriptArgs.push(`--${name}`, values[name]!);
    if (values.setup !== undefined) scriptArgs.push('--setup', resolve(io.cwd, values.setup));
  }
  // The script's own default, named here so the folder can be leased: gc of the cache folder (where it usually is)
  // leaves the packages and builds of a running build alone.
  const cache =
    values.cache !== undefined
      ? resolve(io.cwd, values.cache)
      : join(io.env.XDG_CACHE_HOME || join(io.env.HOME ?? homedir(), '.cache'), 'vmplan', `${kind}-guest`);
  await leaseFolder(cache);
  scriptArgs.push('--cache', cache);
  // The script's own progress goes to stderr; its last stdout line is the folder it wrote.
  const child = spawn(script, scriptArgs, { cwd: io.cwd, env: io.env, stdio: ['ignore', 'pipe', 'inherit'] });
  let last = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    last += chunk;
  });
  const code = await new Promise<number>((done) => child.on('close', (exit) => done(exit ?? 1)));
  const json = values.json === true;
  if (code !== 0) {
    if (json) printJson(io, 'image', false, { action: 'build', error: `${script} exited with code ${code}` });
    return EXIT.failed;
  }
  let folder = last.trim().split('\n').pop() ?? '';
  // test-guest builds into its cache: copy where --out says, when asked.
  if (kind === 'test-guest' && values.out !== undefined) {
    const out = resolve(io.cwd, values.out);
    mkdirSync(out, { recursive: true });
    for (const file of ['kernel', 'initrd']) cpSync(join(folder, file), join(out, file));
    folder = out;
  }
  if (json) printJson(io, 'image', true, { action: 'build', kind, arch: values.arch, out: folder });
  // With --out the caller named the folder (an image build node's temporary one, say): printing it back would
  // be a bare path in the build's log. Without, the folder in the cache is the answer.
  else if (values.out === undefined) io.stdout(`${folder}\n`);
  return EXIT.ok;
}
