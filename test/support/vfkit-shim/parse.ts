// A strict parser of vfkit's command line (v0.6.x), written from vfkit's grammar (cobra/pflag flags; the
// --bootloader list splits on commas outside double quotes; --device splits on every comma) — independently of
// vmplan's vfkitArgs, so that parsing what vmplan produces proves it speaks vfkit's language.

/** An error vfkit would print as `Error: <message>` and exit 1 for. */
export class VfkitUsageError extends Error {
  override readonly name = 'VfkitUsageError';
}

/** A vfkit device, as parsed. */
export type VfkitDevice =
  | { kind: 'virtio-blk'; path: string; readonly: boolean; deviceId: string | undefined }
  | { kind: 'virtio-fs'; sharedDir: string; mountTag: string }
  | { kind: 'virtio-serial'; logFilePath: string | undefined; stdio: boolean; pty: boolean }
  | {
      kind: 'virtio-net';
      nat: boolean;
      mac: string | undefined;
      fd: string | undefined;
      unixSocketPath: string | undefined;
    }
  | { kind: 'virtio-rng' }
  | { kind: 'virtio-balloon' }
  | { kind: 'virtio-vsock'; port: number; socketURL: string; listen: boolean }
  /** Devices vfkit knows that vmplan never asks for: parsed by name, refused when booting. */
  | { kind: 'not-emulated'; type: string };

/** vfkit's other device types (v0.6.4): valid on its command line, not emulated by the shim. */
const NOT_EMULATED_DEVICES = ['rosetta', 'nvme', 'usb-mass-storage', 'virtio-input', 'virtio-gpu', 'nbd'];

/** A parsed vfkit command line. */
export interface VfkitConfig {
  version: boolean;
  cpus: number;
  memoryMiB: number;
  bootloader:
    | { kind: 'linux'; kernel: string | undefined; initrd: string | undefined; cmdline: string | undefined }
    | { kind: 'efi'; variableStore: string | undefined; create: boolean }
    | undefined;
  devices: VfkitDevice[];
  restful:
    | { scheme: 'none' }
    | { scheme: 'unix'; path: string }
    | { scheme: 'tcp'; host: string; port: number };
  pidfile: string | undefined;
  logLevel: string | undefined;
  gui: boolean;
  nested: boolean;
}

interface FlagDefinition {
  long: string;
  short?: string;
  type: 'uint' | 'string' | 'list' | 'array' | 'bool';
}

const FLAGS: FlagDefinition[] = [
  { long: 'cpus', short: 'c', type: 'uint' },
  { long: 'memory', short: 'm', type: 'uint' },
  { long: 'bootloader', short: 'b', type: 'list' },
  { long: 'kernel', short: 'k', type: 'string' },
  { long: 'initrd', short: 'i', type: 'string' },
  { long: 'kernel-cmdline', short: 'C', type: 'string' },
  { long: 'device', short: 'd', type: 'array' },
  { long: 'restful-uri', type: 'string' },
  { long: 'pidfile', type: 'string' },
  { long: 'log-level', type: 'string' },
  { long: 'timesync', short: 't', type: 'string' },
  { long: 'ignition', type: 'string' },
  { long: 'cloud-init', type: 'list' },
  { long: 'gui', type: 'bool' },
  { long: 'nested', short: 'n', type: 'bool' },
  { long: 'version', short: 'v', type: 'bool' },
  { long: 'help', short: 'h', type: 'bool' },
];

/** Parses a vfkit argv (without the program name), or throws VfkitUsageError with vfkit's wording. */
export function parseVfkitCommandLine(argv: string[]): VfkitConfig {
  const values = new Map<string, string[]>();
  const flagName = (flag: FlagDefinition) =>
    flag.short === undefined ? `--${flag.long}` : `-${flag.short}, --${flag.long}`;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-') continue; // positional arguments are ignored by vfkit
    let flag: FlagDefinition | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const [name, value] = splitOnce(arg.slice(2), '=');
      flag = FLAGS.find((candidate) => candidate.long === name);
      if (flag === undefined) throw new VfkitUsageError(`unknown flag: --${name}`);
      inline = value;
    } else {
      const short = arg[1]!;
      flag = FLAGS.find((candidate) => candidate.short === short);
      if (flag === undefined) throw new VfkitUsageError(`unknown shorthand flag: '${short}' in ${arg}`);
      const rest = arg.slice(2);
      inline = rest === '' ? undefined : rest.startsWith('=') ? rest.slice(1) : rest;
    }
    let value: string;
    if (flag.type === 'bool') {
      value = inline ?? 'true';
      if (value !== 'true' && value !== 'false') {
        throw new VfkitUsageError(
          `invalid argument "${value}" for "${flagName(flag)}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
        );
      }
    } else if (inline !== undefined) {
      value = inline;
    } else {
      const next = argv[i + 1];
      if (next === undefined) throw new VfkitUsageError(`flag needs an argument: --${flag.long}`);
      value = next;
      i++;
    }
    if (flag.type === 'uint' && !/^\d+$/.test(value)) {
      throw new VfkitUsageError(
        `invalid argument "${value}" for "${flagName(flag)}" flag: strconv.ParseUint: parsing "${value}": invalid syntax`,
      );
    }
    const list = values.get(flag.long) ?? [];
    if (flag.type === 'list') list.push(...splitList(value));
    else if (flag.type === 'array') list.push(value);
    else list.splice(0, list.length, value);
    values.set(flag.long, list);
  }
  const one = (name: string) => values.get(name)?.[0];
  const config: VfkitConfig = {
    version: one('version') === 'true',
    cpus: Number(one('cpus') ?? 1),
    memoryMiB: Number(one('memory') ?? 512),
    bootloader: undefined,
    devices: [],
    restful: { scheme: 'none' },
    pidfile: one('pidfile'),
    logLevel: one('log-level'),
    gui: one('gui') === 'true',
    nested: one('nested') === 'true',
  };
  if (config.version || one('help') === 'true') return config;

  if (config.logLevel !== undefined && !['error', 'debug', 'info'].includes(config.logLevel)) {
    throw new VfkitUsageError(`unknown log level: ${config.logLevel}`);
  }
  config.bootloader = parseBootloader(values);
  config.devices = (values.get('device') ?? []).map(parseDevice);
  config.restful = parseRestfulUri(one('restful-uri') ?? 'none://');
  return config;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const index = text.indexOf(separator);
  return index === -1 ? [text, undefined] : [text.slice(0, index), text.slice(index + 1)];
}

/** vfkit's list splitting: commas outside double quotes separate; quotes are kept; no escapes. */
function splitList(value: string): string[] {
  const elements: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of value) {
    if (char === '"') quoted = !quoted;
    if (char === ',' && !quoted) {
      elements.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (quoted) throw new VfkitUsageError('mismatched "');
  elements.push(current);
  return elements;
}

/** As vfkit's util.TrimQuotes: when a value starts and ends with '"', every leading and trailing '"' goes. */
function trimQuotes(text: string): string {
  return text.startsWith('"') && text.endsWith('"') ? text.replace(/^"+|"+$/g, '') : text;
}

/** `key=value` options of a list element (after quote trimming), empty elements skipped. */
function options(elements: string[]): [string, string | undefined][] {
  return elements
    .map(trimQuotes)
    .filter((element) => element !== '')
    .map((element) => splitOnce(element, '='));
}

function parseBootloader(values: Map<string, string[]>): VfkitConfig['bootloader'] {
  const legacy = ['kernel', 'initrd', 'kernel-cmdline'].filter((name) => values.has(name));
  const list = values.get('bootloader');
  if (legacy.length > 0 && list !== undefined) {
    throw new VfkitUsageError(
      `if any flags in the group [bootloader ${legacy.join(' ')}] are set none of the others can be; [bootloader ${legacy.join(' ')}] were all set`,
    );
  }
  if (legacy.length > 0) {
    if (legacy.length !== 3) {
      const missing = ['initrd', 'kernel', 'kernel-cmdline'].filter((name) => !values.has(name));
      throw new VfkitUsageError(
        `if any flags in the group [kernel initrd kernel-cmdline] are set they must all be set; missing [${missing.join(' ')}]`,
      );
    }
    return {
      kind: 'linux',
      kernel: values.get('kernel')![0],
      initrd: values.get('initrd')![0],
      cmdline: values.get('kernel-cmdline')![0],
    };
  }
  const parsed = options(list ?? []);
  if (parsed.length === 0)
    throw new VfkitUsageError('empty option list in --bootloader command line argument');
  const [[type], ...rest] = parsed as [[string, string | undefined], ...[string, string | undefined][]];
  if (type === 'linux') {
    const boot = {
      kind: 'linux' as const,
      kernel: undefined as string | undefined,
      initrd: undefined as string | undefined,
      cmdline: undefined as string | undefined,
    };
    for (const [key, value] of rest) {
      if (key === 'kernel') boot.kernel = value;
      else if (key === 'initrd') boot.initrd = value;
      else if (key === 'cmdline') boot.cmdline = trimQuotes(value ?? '');
      else throw new VfkitUsageError(`unknown option for Linux bootloaders: ${key}`);
    }
    return boot;
  }
  if (type === 'efi') {
    const boot = { kind: 'efi' as const, variableStore: undefined as string | undefined, create: false };
    for (const [key, value] of rest) {
      if (key === 'variable-store') boot.variableStore = value;
      else if (key === 'create') {
        if (value !== undefined)
          throw new VfkitUsageError(`unexpected value for EFI bootloader 'create' option: ${value}`);
        boot.create = true;
      } else throw new VfkitUsageError(`unknown option for EFI bootloaders: ${key}`);
    }
    return boot;
  }
  throw new VfkitUsageError(`unknown bootloader type: ${type}`);
}

/** A --device value: split on every comma (no quoting), type first, then key[=value] options. */
function parseDevice(value: string): VfkitDevice {
  const parts = value.split(',').filter((part) => part !== '');
  const kind = parts[0] ?? '';
  const opts = new Map<string, string | undefined>();
  for (const part of parts.slice(1)) {
    const [key, optionValue] = splitOnce(part, '=');
    opts.set(key, optionValue);
  }
  const allow = (allowed: string[], label = kind) => {
    for (const key of opts.keys())
      if (!allowed.includes(key)) throw new VfkitUsageError(`unknown option for ${label} devices: ${key}`);
  };
  const flag = (key: string, label = kind) => {
    if (!opts.has(key)) return false;
    if (opts.get(key) !== undefined)
      throw new VfkitUsageError(`unexpected value for ${label} '${key}' option: ${opts.get(key)}`);
    return true;
  };
  switch (kind) {
    case 'virtio-blk': {
      allow(['path', 'readonly', 'deviceId', 'type'], 'virtio-blk');
      const path = opts.get('path') ?? '';
      return { kind, path, readonly: flag('readonly', 'virtio-blk'), deviceId: opts.get('deviceId') };
    }
    case 'virtio-fs': {
      allow(['sharedDir', 'mountTag'], 'virtio-fs');
      const sharedDir = opts.get('sharedDir') ?? '';
      const mountTag = opts.get('mountTag') ?? sharedDir.split('/').filter(Boolean).pop() ?? '';
      return { kind, sharedDir, mountTag };
    }
    case 'virtio-serial': {
      allow(['logFilePath', 'stdio', 'pty'], 'virtio-serial');
      const device = {
        kind,
        logFilePath: opts.get('logFilePath'),
        stdio: flag('stdio'),
        pty: opts.has('pty'),
      } as const;
      const set = [device.logFilePath !== undefined, device.stdio, device.pty].filter(Boolean).length;
      if (set !== 1)
        throw new VfkitUsageError(
          "one of 'logFilePath', 'stdio' or 'pty' must be set for virtio-serial devices",
        );
      return device;
    }
    case 'virtio-net': {
      allow(['nat', 'mac', 'fd', 'unixSocketPath', 'type', 'path', 'vfkitMagic', 'offloading'], 'virtio-net');
      const type = opts.get('type');
      if (opts.has('type') && type !== 'unixgram')
        throw new VfkitUsageError(`unsupported virtio-net type: ${type} (only 'unixgram' is supported)`);
      const magic = opts.get('vfkitMagic');
      if (opts.has('vfkitMagic') && magic !== 'on' && magic !== 'off')
        throw new VfkitUsageError(`invalid value for vfkitMagic: ${magic} (expected on/off)`);
      if (opts.has('offloading') && opts.get('offloading') !== 'off')
        throw new VfkitUsageError(
          `invalid value for offloading: ${opts.get('offloading')} (only 'off' is supported)`,
        );
      const device = {
        kind,
        nat: flag('nat'),
        mac: opts.get('mac'),
        fd: opts.get('fd'),
        unixSocketPath: opts.get('unixSocketPath') ?? opts.get('path'),
      } as const;
      const set = [device.nat, device.fd !== undefined, device.unixSocketPath !== undefined].filter(
        Boolean,
      ).length;
      if (set === 0) throw new VfkitUsageError("one of 'nat' or 'fd' or 'unixSocketPath' must be set");
      if (set > 1) throw new VfkitUsageError("'nat', 'fd' and 'unixSocketPath' are mutually exclusive");
      return device;
    }
    case 'virtio-rng':
    case 'virtio-balloon':
      if (opts.size > 0)
        throw new VfkitUsageError(`unknown options for ${kind} devices: ${parts.slice(1).join(',')}`);
      return { kind };
    case 'virtio-vsock':
      allow(['port', 'socketURL', 'listen', 'connect'], 'virtio-vsock');
      return {
        kind,
        port: Number(opts.get('port') ?? 0),
        socketURL: opts.get('socketURL') ?? '',
        listen: !opts.has('connect'),
      };
    default:
      if (NOT_EMULATED_DEVICES.includes(kind)) return { kind: 'not-emulated', type: kind };
      throw new VfkitUsageError(`unknown device type: ${kind}`);
  }
}

function parseRestfulUri(uri: string): VfkitConfig['restful'] {
  if (uri === 'none://') return { scheme: 'none' };
  const match = /^([a-z]+):\/\/(.*)$/.exec(uri);
  if (match === null) throw new VfkitUsageError(`invalid restful URI: ${uri}`);
  const [, scheme, rest] = match as unknown as [string, string, string];
  if (scheme === 'unix') {
    if (!rest.startsWith('/')) throw new VfkitUsageError(`invalid unix socket URI: ${uri}`);
    if (Buffer.byteLength(rest) > 103) throw new VfkitUsageError(`restful uri path is too long: ${rest}`);
    return { scheme: 'unix', path: rest };
  }
  if (scheme === 'tcp' || scheme === 'http') {
    const tcp = /^([^:/]+):(\d+)$/.exec(rest);
    if (tcp === null) throw new VfkitUsageError(`invalid tcp URI: ${uri}`);
    return { scheme: 'tcp', host: tcp[1]!, port: Number(tcp[2]) };
  }
  throw new VfkitUsageError(`invalid scheme for restful uri: ${scheme}`);
}
