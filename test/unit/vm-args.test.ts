import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { qemuArgs } from '../../src/executors/qemu/args.js';
import { VfkitArgumentError, vfkitArgs } from '../../src/executors/vfkit/args.js';
import type { VmSpec } from '../../src/executors/vm/vm-spec.js';
import { parseVfkitCommandLine, VfkitUsageError } from '../support/vfkit-shim/parse.js';

const SPEC: VmSpec = {
  name: 'unit',
  arch: 'arm64',
  cpus: 2,
  memoryMiB: 2048,
  kernel: '/images/debian/Image',
  initrd: '/images/debian/initrd',
  cmdline: 'console=hvc0 panic=-1 root=/dev/vda rw',
  disk: '/runs/r1/jobs/unit/disk.img',
  shares: [
    { tag: 'vmplan-job', hostPath: '/runs/r1/jobs/unit/guest', readOnly: false },
    { tag: 'vmplan-work', hostPath: '/runs/r1/snapshot', readOnly: true },
  ],
  consoleLog: '/runs/r1/jobs/unit/console.log',
  restSocket: '/tmp/vmplan-501/abc.sock',
  pidFile: '/runs/r1/jobs/unit/vfkit.pid',
  network: true,
};

describe('vfkitArgs', () => {
  it("gives an interactive console as vfkit's virtio-serial,stdio, which vfkit's grammar accepts (vmplan shell)", () => {
    const args = vfkitArgs({ ...SPEC, console: 'stdio' });
    expect(args).toContain('virtio-serial,stdio');
    expect(args.join(' ')).not.toContain('logFilePath');
    const devices = parseVfkitCommandLine(args).devices;
    expect(devices.filter((device) => device.kind === 'virtio-serial')).toEqual([
      { kind: 'virtio-serial', logFilePath: undefined, stdio: true, pty: false },
    ]);
  });

  it('builds the exact vfkit command line', () => {
    expect(vfkitArgs(SPEC)).toEqual([
      '--cpus',
      '2',
      '--memory',
      '2048',
      '--bootloader',
      'linux,kernel=/images/debian/Image,initrd=/images/debian/initrd,"cmdline=console=hvc0 panic=-1 root=/dev/vda rw"',
      '--device',
      'virtio-rng',
      '--device',
      'virtio-serial,logFilePath=/runs/r1/jobs/unit/console.log',
      '--device',
      'virtio-blk,path=/runs/r1/jobs/unit/disk.img',
      '--device',
      'virtio-fs,sharedDir=/runs/r1/jobs/unit/guest,mountTag=vmplan-job',
      '--device',
      'virtio-fs,sharedDir=/runs/r1/snapshot,mountTag=vmplan-work',
      '--device',
      'virtio-net,nat',
      '--restful-uri',
      'unix:///tmp/vmplan-501/abc.sock',
      '--pidfile',
      '/runs/r1/jobs/unit/vfkit.pid',
    ]);
  });

  it('quotes a bootloader element that holds a comma (vfkit splits on commas outside quotes)', () => {
    const args = vfkitArgs({ ...SPEC, kernel: '/images/a,b/Image', cmdline: 'console=hvc0 opts=a,b' });
    expect(args[5]).toBe(
      'linux,"kernel=/images/a,b/Image",initrd=/images/debian/initrd,"cmdline=console=hvc0 opts=a,b"',
    );
    const parsed = parseVfkitCommandLine(args);
    expect(parsed.bootloader).toEqual({
      kind: 'linux',
      kernel: '/images/a,b/Image',
      initrd: '/images/debian/initrd',
      cmdline: 'console=hvc0 opts=a,b',
    });
  });

  const refusals: [string, Partial<VmSpec>, RegExp][] = [
    [
      'a double quote in the cmdline',
      { cmdline: 'init="/bin/sh"' },
      /contains a double quote, which vfkit's --bootloader cannot express/,
    ],
    [
      'a double quote in the kernel path',
      { kernel: '/a"b/Image' },
      /the kernel "\/a\\"b\/Image" contains a double quote/,
    ],
    ['a line break in the cmdline', { cmdline: 'a\nb' }, /line break/],
    [
      'a comma in a shared folder',
      { shares: [{ tag: 'vmplan-job', hostPath: '/runs/a,b', readOnly: false }] },
      /vfkit cannot take sharedDir "\/runs\/a,b": --device values cannot contain a comma/,
    ],
    ['a comma in the disk path', { disk: '/x,y/disk.img' }, /cannot take path "\/x,y\/disk.img"/],
    ['a comma in the console log path', { consoleLog: '/x,y/console.log' }, /cannot take logFilePath/],
    [
      'a tag of 36 bytes',
      { shares: [{ tag: 't'.repeat(36), hostPath: '/runs/x', readOnly: false }] },
      /virtio-fs tag "t{36}" is 36 bytes; it must be 1-35/,
    ],
    ['an empty tag', { shares: [{ tag: '', hostPath: '/runs/x', readOnly: false }] }, /is 0 bytes/],
    [
      'a socket path over 103 bytes',
      { restSocket: `/tmp/${'s'.repeat(100)}.sock` },
      /REST socket path is 110 bytes; vfkit allows at most 103/,
    ],
    ['a relative kernel path', { kernel: 'Image' }, /the kernel path must be absolute/],
    ['fractional CPUs', { cpus: 1.5 }, /cpus must be a whole number/],
    ['zero memory', { memoryMiB: 0 }, /memory must be a whole number of MiB/],
  ];
  it('takes a socket path of exactly 103 bytes and refuses 104', () => {
    const of = (bytes: number) => `/tmp/${'s'.repeat(bytes - 10)}.sock`;
    expect(of(103)).toHaveLength(103);
    expect(vfkitArgs({ ...SPEC, restSocket: of(103) })).toContain(`unix://${of(103)}`);
    expect(() => vfkitArgs({ ...SPEC, restSocket: of(104) })).toThrow(
      /is 104 bytes; vfkit allows at most 103/,
    );
  });

  for (const [what, change, message] of refusals) {
    it(`refuses ${what}`, () => {
      expect(() => vfkitArgs({ ...SPEC, ...change })).toThrow(VfkitArgumentError);
      expect(() => vfkitArgs({ ...SPEC, ...change })).toThrow(message);
    });
  }

  it("round-trips: the shim parser (written from vfkit's grammar) reads back the same VM, for any expressible spec", () => {
    const pathSegment = fc.stringMatching(/^[A-Za-z0-9 ._=@+-]{1,12}$/);
    const path = fc.array(pathSegment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
    const cmdline = fc.stringMatching(/^[A-Za-z0-9 ,._=/:-]{0,60}$/);
    const tag = fc.stringMatching(/^[a-z0-9-]{1,35}$/);
    fc.assert(
      fc.property(
        fc.record({
          cpus: fc.integer({ min: 1, max: 16 }),
          memoryMiB: fc.integer({ min: 256, max: 65536 }),
          kernel: path.map((p) => `${p},k`),
          initrd: path,
          cmdline,
          disk: fc.option(path, { nil: null }),
          shares: fc.uniqueArray(fc.record({ tag, hostPath: path, readOnly: fc.boolean() }), {
            selector: (share) => share.tag,
            maxLength: 3,
          }),
          consoleLog: path,
          restSocket: path.filter((p) => Buffer.byteLength(p) <= 103),
          pidFile: path,
          network: fc.boolean(),
        }),
        (fields) => {
          const spec: VmSpec = { ...SPEC, ...fields };
          const parsed = parseVfkitCommandLine(vfkitArgs(spec));
          expect(parsed.cpus).toBe(spec.cpus);
          expect(parsed.memoryMiB).toBe(spec.memoryMiB);
          expect(parsed.bootloader).toEqual({
            kind: 'linux',
            kernel: spec.kernel,
            initrd: spec.initrd,
            cmdline: spec.cmdline,
          });
          const devices = parsed.devices;
          expect(devices.filter((d) => d.kind === 'virtio-blk').map((d) => d.path)).toEqual(
            spec.disk === null ? [] : [spec.disk],
          );
          expect(
            devices.flatMap((d) =>
              d.kind === 'virtio-fs' ? [{ tag: d.mountTag, hostPath: d.sharedDir }] : [],
            ),
          ).toEqual(spec.shares.map(({ tag: t, hostPath }) => ({ tag: t, hostPath })));
          expect(devices.flatMap((d) => (d.kind === 'virtio-serial' ? [d.logFilePath] : []))).toEqual([
            spec.consoleLog,
          ]);
          expect(devices.some((d) => d.kind === 'virtio-net' && d.nat)).toBe(spec.network);
          expect(parsed.restful).toEqual({ scheme: 'unix', path: spec.restSocket });
          expect(parsed.pidfile).toBe(spec.pidFile);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the shim parser is as strict as vfkit', () => {
  const cases: [string, string[], string][] = [
    ['an unknown flag', ['--frobnicate'], 'unknown flag: --frobnicate'],
    ['an unknown shorthand', ['-x'], "unknown shorthand flag: 'x' in -x"],
    [
      'memory with a unit',
      ['--memory', '2G'],
      'invalid argument "2G" for "-m, --memory" flag: strconv.ParseUint: parsing "2G": invalid syntax',
    ],
    ['a flag without its value', ['--cpus'], 'flag needs an argument: --cpus'],
    [
      'an unknown bootloader key',
      ['--bootloader', 'linux,kernel=/k,root=/dev/vda'],
      'unknown option for Linux bootloaders: root',
    ],
    ['an unknown bootloader type', ['--bootloader', 'grub,kernel=/k'], 'unknown bootloader type: grub'],
    ['an unclosed quote', ['--bootloader', 'linux,"cmdline=a'], 'mismatched "'],
    ['no bootloader', [], 'empty option list in --bootloader command line argument'],
    ['an unknown device', ['-b', 'linux', '--device', 'virtio-gpu9'], 'unknown device type: virtio-gpu9'],
    [
      'a read-only virtio-fs',
      ['-b', 'linux', '--device', 'virtio-fs,sharedDir=/s,mountTag=t,readonly'],
      'unknown option for virtio-fs devices: readonly',
    ],
    [
      'readonly=true on a disk',
      ['-b', 'linux', '--device', 'virtio-blk,path=/d,readonly=true'],
      "unexpected value for virtio-blk 'readonly' option: true",
    ],
    [
      'a bare virtio-net',
      ['-b', 'linux', '--device', 'virtio-net'],
      "one of 'nat' or 'fd' or 'unixSocketPath' must be set",
    ],
    [
      'options on virtio-rng',
      ['-b', 'linux', '--device', 'virtio-rng,seed=1'],
      'unknown options for virtio-rng devices: seed=1',
    ],
    [
      'a serial port with no target',
      ['-b', 'linux', '--device', 'virtio-serial'],
      "one of 'logFilePath', 'stdio' or 'pty' must be set for virtio-serial devices",
    ],
    ['a bad log level', ['-b', 'linux', '--log-level', 'trace'], 'unknown log level: trace'],
    [
      'a long socket path',
      ['-b', 'linux', '--restful-uri', `unix:///${'s'.repeat(110)}`],
      `restful uri path is too long: /${'s'.repeat(110)}`,
    ],
  ];
  for (const [what, argv, message] of cases) {
    it(`rejects ${what}`, () => {
      expect(() => parseVfkitCommandLine(argv)).toThrow(VfkitUsageError);
      expect(() => parseVfkitCommandLine(argv)).toThrow(message);
    });
  }

  it("trims every leading and trailing quote as vfkit's TrimQuotes does", () => {
    const config = parseVfkitCommandLine(['--bootloader', 'linux,kernel=/k,initrd=/i,""cmdline=quiet""']);
    expect(config.bootloader).toMatchObject({ kind: 'linux', cmdline: 'quiet' });
  });

  it("knows vfkit's other device types (parsed, not emulated) and virtio-net's newer options", () => {
    for (const type of ['rosetta', 'nvme', 'usb-mass-storage', 'virtio-input', 'virtio-gpu', 'nbd'])
      expect(parseVfkitCommandLine(['-b', 'linux', '--device', `${type},x=1`]).devices).toEqual([
        { kind: 'not-emulated', type },
      ]);
    expect(
      parseVfkitCommandLine([
        '-b',
        'linux',
        '--device',
        'virtio-net,type=unixgram,path=/n.sock,vfkitMagic=off',
      ]).devices,
    ).toMatchObject([{ kind: 'virtio-net', unixSocketPath: '/n.sock' }]);
    expect(() =>
      parseVfkitCommandLine(['-b', 'linux', '--device', 'virtio-net,type=stream,path=/n']),
    ).toThrow("unsupported virtio-net type: stream (only 'unixgram' is supported)");
  });

  it('splits --device on every comma: a comma in a path becomes a bogus option', () => {
    expect(() =>
      parseVfkitCommandLine(['-b', 'linux', '--device', 'virtio-fs,sharedDir=/a,b,mountTag=t']),
    ).toThrow('unknown option for virtio-fs devices: b');
  });
});

describe('qemuArgs', () => {
  it('gives QEMU the same devices, with virtiofs shares, for an arm64 guest under TCG', () => {
    const args = qemuArgs(SPEC, {
      accel: 'tcg',
      shares: 'virtiofs',
      virtiofsSockets: { 'vmplan-job': '/tmp/v/job.sock', 'vmplan-work': '/tmp/v/work.sock' },
    });
    expect(args.join(' ')).toBe(
      [
        '-M virt,memory-backend=mem -accel tcg -cpu cortex-a57 -m 2048M -smp 2 -nodefaults -no-user-config -display none -no-reboot',
        '-kernel /images/debian/Image -initrd /images/debian/initrd -append console=hvc0 panic=-1 root=/dev/vda rw',
        '-object memory-backend-memfd,id=mem,size=2048M,share=on',
        '-device virtio-serial-pci -chardev file,id=console0,path=/runs/r1/jobs/unit/console.log -device virtconsole,chardev=console0',
        '-device virtio-rng-pci',
        '-drive file=/runs/r1/jobs/unit/disk.img,format=raw,if=none,id=disk0 -device virtio-blk-pci,drive=disk0',
        '-chardev socket,id=fs0,path=/tmp/v/job.sock -device vhost-user-fs-pci,chardev=fs0,tag=vmplan-job',
        '-chardev socket,id=fs1,path=/tmp/v/work.sock -device vhost-user-fs-pci,chardev=fs1,tag=vmplan-work',
        '-netdev user,id=net0,net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,dhcpstart=10.0.2.15 -device virtio-net-pci,netdev=net0 -pidfile /runs/r1/jobs/unit/vfkit.pid',
      ].join(' '),
    );
  });

  it("puts an interactive console on QEMU's stdio, with Ctrl-C going to the guest (vmplan shell)", () => {
    const args = qemuArgs({ ...SPEC, console: 'stdio' }, { accel: 'tcg', shares: '9p' }).join(' ');
    expect(args).toContain(
      '-device virtio-serial-pci -chardev stdio,id=console0,signal=off -device virtconsole,chardev=console0',
    );
    expect(args).not.toContain('console.log');
  });

  it('doubles every comma of a path, not only the first (a path with two commas stays one option value)', () => {
    const spec: VmSpec = {
      ...SPEC,
      disk: '/a,b,c/disk.img',
      consoleLog: '/a,b,c/console,log',
      shares: [
        { tag: 'vmplan-job', hostPath: '/j,o,b', readOnly: false },
        { tag: 'vmplan-work', hostPath: '/w,,x', readOnly: true },
      ],
    };
    const nineP = qemuArgs(spec, { accel: 'tcg', shares: '9p' });
    expect(nineP).toContain('file=/a,,b,,c/disk.img,format=raw,if=none,id=disk0');
    expect(nineP).toContain('file,id=console0,path=/a,,b,,c/console,,log');
    expect(nineP).toContain('local,id=fs0,path=/j,,o,,b,security_model=mapped-xattr,fmode=0755,dmode=0755');
    expect(nineP).toContain('local,id=fs1,path=/w,,,,x,security_model=none,readonly=on');
    const virtiofs = qemuArgs(spec, {
      accel: 'tcg',
      shares: 'virtiofs',
      virtiofsSockets: { 'vmplan-job': '/s,o,c/job.sock', 'vmplan-work': '/s,o,c/work.sock' },
    });
    expect(virtiofs).toContain('socket,id=fs0,path=/s,,o,,c/job.sock');
    expect(virtiofs).toContain('socket,id=fs1,path=/s,,o,,c/work.sock');
    // Read back as QEMU does (",," is a comma, a single "," ends the value): every path comes back whole.
    const optionValue = (option: string, key: string) =>
      (new RegExp(`(?:^|,)${key}=((?:[^,]|,,)*)`).exec(option)?.[1] ?? '').replaceAll(',,', ',');
    expect(nineP.filter((arg) => arg.startsWith('local,')).map((arg) => optionValue(arg, 'path'))).toEqual([
      '/j,o,b',
      '/w,,x',
    ]);
  });

  it('uses q35 and the host CPU under KVM, 9p with QEMU-enforced read-only, and escapes commas', () => {
    const args = qemuArgs(
      {
        ...SPEC,
        arch: 'amd64',
        disk: '/d,1/disk.img',
        shares: [{ tag: 'vmplan-work', hostPath: '/s,1', readOnly: true }],
      },
      { accel: 'kvm', shares: '9p' },
    );
    expect(args.slice(0, 6)).toEqual(['-M', 'q35', '-accel', 'kvm', '-cpu', 'host']);
    expect(args).toContain('file=/d,,1/disk.img,format=raw,if=none,id=disk0');
    expect(args).toContain('local,id=fs0,path=/s,,1,security_model=none,readonly=on');
    expect(args).toContain('virtio-9p-pci,fsdev=fs0,mount_tag=vmplan-work');
    expect(args).not.toContain('memory-backend-memfd,id=mem,size=2048M,share=on');
  });
});
