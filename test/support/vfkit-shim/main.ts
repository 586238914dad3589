// The vfkit test shim: behaves like vfkit v0.6.4 towards its caller — strict command line, `Error: ...` and exit 1
// on bad input, --pidfile, the REST API on --restful-uri (GET/POST /vm/state, GET /vm/inspect), exit 0 when the
// guest powers off — and boots the VM it describes with QEMU (same kernel, initrd, command line, shares and
// console file), so vmplan's vfkit executor runs unchanged on Linux against a real guest.
import { closeSync, existsSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { kernelFormat } from '../../../src/executors/kernel-format.js';
import { chooseAccel } from '../../../src/executors/qemu/accel.js';
import { findVirtiofsd, startQemuVm } from '../../../src/executors/qemu/vm.js';
import type { VmSpec } from '../../../src/executors/vm/vm-spec.js';
import { parseVfkitCommandLine, type VfkitConfig, VfkitUsageError } from './parse.js';

const VERSION = 'v0.6.4';
const MAX_TAG_BYTES = 35;

function fail(message: string): never {
  process.stderr.write(`Error: ${message}\n`);
  process.exit(1);
}

function info(message: string): void {
  process.stderr.write(`time="${new Date().toISOString()}" level=info msg="${message}"\n`);
}

/** What vz checks when it builds the VM, and what the shim needs to boot it with QEMU. */
function toSpec(config: VfkitConfig): VmSpec {
  const boot = config.bootloader;
  if (boot?.kind !== 'linux') fail('the vfkit test shim boots linux bootloaders only');
  if (boot.initrd === undefined || !existsSync(boot.initrd)) {
    fail(`invalid initial RAM disk path: stat ${boot.initrd ?? ''}: no such file or directory`);
  }
  if (boot.kernel === undefined || !existsSync(boot.kernel))
    fail(`invalid linux kernel path: stat ${boot.kernel ?? ''}: no such file or directory`);
  const format = kernelFormat(boot.kernel);
  const arch =
    format === 'arm64-image' ? 'arm64' : format === 'elf' || format === 'bzimage' ? 'amd64' : undefined;
  if (arch === undefined) fail(`kernel must be uncompressed, ${boot.kernel} is a compressed file`);

  const spec: VmSpec = {
    name: 'vfkit-shim',
    arch,
    cpus: config.cpus,
    memoryMiB: config.memoryMiB,
    kernel: boot.kernel,
    initrd: boot.initrd,
    cmdline: boot.cmdline ?? '',
    disk: null,
    shares: [],
    consoleLog: '/dev/null',
    restSocket: config.restful.scheme === 'unix' ? config.restful.path : '',
    pidFile: `${tmpdir()}/vfkit-shim-${process.pid}.qemu.pid`,
    network: false,
  };
  for (const device of config.devices) {
    switch (device.kind) {
      case 'virtio-blk': {
        let fd: number;
        try {
          fd = openSync(device.path, 'r');
        } catch (error) {
          fail(`failed to open file ${device.path}: ${(error as Error).message}`);
        }
        const magic = Buffer.alloc(4);
        readSync(fd, magic, 0, 4, 0);
        closeSync(fd);
        if (magic.toString('latin1') === 'QFI\xfb') fail('vfkit does not support qcow2 image format');
        if (spec.disk !== null) fail('the vfkit test shim emulates one virtio-blk device');
        spec.disk = device.path;
        break;
      }
      case 'virtio-fs':
        if (!existsSync(device.sharedDir) || !statSync(device.sharedDir).isDirectory()) {
          fail(`virtio-fs shared directory ${device.sharedDir} does not exist`);
        }
        if (Buffer.byteLength(device.mountTag) === 0 || Buffer.byteLength(device.mountTag) > MAX_TAG_BYTES) {
          fail(
            `invalid virtio-fs tag "${device.mountTag}": Apple's Virtualization framework allows 1-${MAX_TAG_BYTES} bytes`,
          );
        }
        spec.shares.push({ tag: device.mountTag, hostPath: device.sharedDir, readOnly: false });
        break;
      case 'virtio-serial':
        // stdio: as vfkit, the console is the shim's own stdin and stdout (QEMU inherits them).
        if (device.stdio) spec.console = 'stdio';
        else if (device.logFilePath === undefined)
          fail('the vfkit test shim emulates virtio-serial with logFilePath or stdio only');
        else spec.consoleLog = device.logFilePath;
        break;
      case 'virtio-net':
        if (!device.nat) fail('the vfkit test shim emulates virtio-net,nat only');
        spec.network = true;
        break;
      case 'virtio-rng':
        break; // QEMU always gets one
      default:
        fail(
          `the vfkit test shim does not emulate ${device.kind === 'not-emulated' ? device.type : device.kind} devices`,
        );
    }
  }
  return spec;
}

async function main(): Promise<void> {
  let config: VfkitConfig;
  try {
    config = parseVfkitCommandLine(process.argv.slice(2));
  } catch (error) {
    if (error instanceof VfkitUsageError) fail(error.message);
    throw error;
  }
  if (config.version) {
    process.stdout.write(`vfkit version: ${VERSION}\n`);
    return;
  }
  const spec = toSpec(config);
  if (config.restful.scheme === 'tcp') fail('the vfkit test shim serves its REST API on unix sockets only');

  let state = 'VirtualMachineStateStarting';
  let vm: Awaited<ReturnType<typeof startQemuVm>> | undefined;
  const server = createServer((request, response) => void handle(request, response));
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const reply = (status: number, body?: unknown) => {
      response.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      response.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (request.method === 'GET' && request.url === '/vm/state') {
      const running = state === 'VirtualMachineStateRunning';
      return reply(200, {
        state,
        canStart: false,
        canPause: running,
        canResume: state === 'VirtualMachineStatePaused',
        canStop: running,
        canHardStop: true,
      });
    }
    if (request.method === 'GET' && request.url === '/vm/inspect') {
      return reply(200, {
        vcpus: spec.cpus,
        memoryBytes: spec.memoryMiB * 1024 * 1024,
        bootloader: config.bootloader,
        devices: config.devices,
      });
    }
    if (request.method === 'POST' && request.url === '/vm/state') {
      let body = '';
      for await (const chunk of request) body += chunk;
      let wanted: unknown;
      try {
        wanted = (JSON.parse(body) as { state?: unknown }).state;
      } catch {
        return reply(400);
      }
      if (wanted === 'HardStop') {
        info('HardStop requested');
        // VFKIT_SHIM_STUBBORN: a vfkit that hangs (answers, does nothing) so vmplan must escalate to signals.
        if (process.env.VFKIT_SHIM_STUBBORN !== '1') void vm?.stop(0);
        return reply(202);
      }
      if (wanted === 'Stop') return reply(202); // a request the guest may ignore (this one does: no ACPI)
      if (wanted === 'Pause' && vm !== undefined) {
        process.kill(vm.pid, 'SIGSTOP');
        state = 'VirtualMachineStatePaused';
        return reply(202);
      }
      if (wanted === 'Resume' && vm !== undefined) {
        process.kill(vm.pid, 'SIGCONT');
        state = 'VirtualMachineStateRunning';
        return reply(202);
      }
      return reply(500, { error: `invalid new VMState: ${String(wanted)}` });
    }
    reply(404);
  };

  if (config.restful.scheme === 'unix') {
    const path = config.restful.path;
    await new Promise<void>((resolve) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        fail(
          `listen unix ${path}: bind: ${error.code === 'EADDRINUSE' ? 'address already in use' : error.message}`,
        );
      });
      server.listen(path, resolve);
    });
  }
  if (config.pidfile !== undefined) writeFileSync(config.pidfile, String(process.pid), { mode: 0o600 });

  const accel = await chooseAccel(spec.arch, spec, tmpdir());
  const output = () =>
    new Writable({
      write(chunk, _encoding, callback) {
        process.stderr.write(chunk, () => callback());
      },
    });
  try {
    // QEMU stays in the shim's process group: like vfkit's VM, it cannot outlive a killed vfkit.
    vm = await startQemuVm(spec, {
      accel: accel.accel,
      virtiofsd: findVirtiofsd(),
      socketDir: tmpdir(),
      output: { stream: output },
      ownGroup: false,
    });
  } catch (error) {
    fail((error as Error).message);
  }
  state = 'VirtualMachineStateRunning';
  info('virtual machine is running');

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (process.env.VFKIT_SHIM_STUBBORN === '1') return info(`captured ${signal}, ignoring it (stubborn)`);
    if (signalled) return;
    signalled = true;
    info(
      `captured ${signal === 'SIGTERM' ? 'terminated' : 'interrupt'}, calling exit handlers and exiting..`,
    );
    // vfkit asks the guest to stop, waits 5 s, then forces it.
    void vm?.stop(5_000);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  await vm.exited;
  state = 'VirtualMachineStateStopped';
  info('VM is stopped');
  server.close();
  if (config.restful.scheme === 'unix') rmSync(config.restful.path, { force: true });
  rmSync(spec.pidFile, { force: true });
  process.exit(0);
}

await main();
