import type { VmSpec } from '../vm/vm-spec.js';

/** A VM spec that vfkit's command line cannot express; never passed through half-right. */
export class VfkitArgumentError extends Error {
  override readonly name = 'VfkitArgumentError';
}

/** vfkit's limit for a unix socket path in --restful-uri. */
export const MAX_SOCKET_PATH_BYTES = 103;
/** The virtualization framework's limit for a virtio-fs tag. */
export const MAX_TAG_BYTES = 35;

/**
 * The vfkit command line for a VM, following vfkit's grammar exactly (v0.6.x): `--bootloader` elements split on
 * commas outside double quotes (so an element with a comma is quoted, and a double quote cannot be expressed);
 * `--device` values split on every comma (so no value may contain one); memory in MiB as a plain integer.
 */
export function vfkitArgs(spec: VmSpec): string[] {
  if (!Number.isInteger(spec.cpus) || spec.cpus < 1)
    throw new VfkitArgumentError(`cpus must be a whole number ≥ 1, got ${spec.cpus}`);
  if (!Number.isInteger(spec.memoryMiB) || spec.memoryMiB < 1) {
    throw new VfkitArgumentError(`memory must be a whole number of MiB, got ${spec.memoryMiB}`);
  }
  const args = ['--cpus', String(spec.cpus), '--memory', String(spec.memoryMiB)];
  args.push(
    '--bootloader',
    [
      'linux',
      bootloaderElement('kernel', absolute('kernel', spec.kernel)),
      bootloaderElement('initrd', absolute('initrd', spec.initrd)),
      bootloaderElement('cmdline', spec.cmdline, true),
    ].join(','),
  );
  args.push('--device', 'virtio-rng');
  // stdio: vfkit's own stdin and stdout are the console (it puts a terminal in raw mode itself).
  args.push(
    '--device',
    spec.console === 'stdio'
      ? 'virtio-serial,stdio'
      : device('virtio-serial', [['logFilePath', absolute('console log', spec.consoleLog)]]),
  );
  if (spec.disk !== null)
    args.push('--device', device('virtio-blk', [['path', absolute('disk', spec.disk)]]));
  for (const share of spec.shares) {
    args.push(
      '--device',
      device('virtio-fs', [
        ['sharedDir', absolute(`share ${share.tag}`, share.hostPath)],
        ['mountTag', tag(share.tag)],
      ]),
    );
  }
  if (spec.network) args.push('--device', 'virtio-net,nat');
  args.push('--restful-uri', `unix://${socketPath(spec.restSocket)}`);
  args.push('--pidfile', absolute('pidfile', spec.pidFile));
  return args;
}

/** One `key=value` element of --bootloader, quoted when it holds a comma (or always, for the cmdline). */
function bootloaderElement(key: string, value: string, alwaysQuote = false): string {
  if (value.includes('"')) {
    throw new VfkitArgumentError(
      `the ${key} ${JSON.stringify(value)} contains a double quote, which vfkit's --bootloader cannot express`,
    );
  }
  if (/[\r\n\0]/.test(value)) throw new VfkitArgumentError(`the ${key} contains a line break or NUL`);
  const element = `${key}=${value}`;
  return alwaysQuote || value.includes(',') ? `"${element}"` : element;
}

/** A --device value: vfkit splits it on every comma, with no quoting, so values may not hold one. */
function device(kind: string, options: [string, string][]): string {
  for (const [key, value] of options) {
    if (value.includes(',')) {
      throw new VfkitArgumentError(
        `vfkit cannot take ${key} ${JSON.stringify(value)}: --device values cannot contain a comma`,
      );
    }
    if (value === '') throw new VfkitArgumentError(`${kind} ${key} is empty`);
  }
  return [kind, ...options.map(([key, value]) => `${key}=${value}`)].join(',');
}

function absolute(what: string, path: string): string {
  if (!path.startsWith('/'))
    throw new VfkitArgumentError(`the ${what} path must be absolute, got ${JSON.stringify(path)}`);
  return path;
}

function tag(value: string): string {
  const bytes = Buffer.byteLength(value);
  if (bytes === 0 || bytes > MAX_TAG_BYTES) {
    throw new VfkitArgumentError(
      `virtio-fs tag ${JSON.stringify(value)} is ${bytes} bytes; it must be 1-${MAX_TAG_BYTES}`,
    );
  }
  return value;
}

function socketPath(path: string): string {
  absolute('REST socket', path);
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new VfkitArgumentError(
      `REST socket path is ${bytes} bytes; vfkit allows at most ${MAX_SOCKET_PATH_BYTES}: ${path}`,
    );
  }
  return path;
}
