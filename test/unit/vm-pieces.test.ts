// The pure pieces of the VM executors at their edges: the spec a job's VM gets, the hypervisors' command lines
// for what the main tests leave out, the environment a job inherits, and result.json read as hostile input.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guestNetwork } from '../../src/engine/run-node.js';
import { hostJobEnvironment, inheritableEnvironment, vmplanVariables } from '../../src/executors/job-env.js';
import { qemuArgs, qemuBinary } from '../../src/executors/qemu/args.js';
import { virtiofsdArgs } from '../../src/executors/qemu/vm.js';
import { MAX_TAG_BYTES, VfkitArgumentError, vfkitArgs } from '../../src/executors/vfkit/args.js';
import { type GuestJobSettings, writeGuestFiles } from '../../src/executors/vm/guest-files.js';
import { MAX_RESULT_BYTES, readGuestResult } from '../../src/executors/vm/guest-result.js';
import { buildVmSpec, type VmSpec } from '../../src/executors/vm/vm-spec.js';
import { buildPlan } from '../../src/plan/build.js';
import type { ExecuteNode } from '../../src/plan/schema.js';
import { type TrustPolicy, trustedPolicy } from '../../src/plan/trust.js';
import { descriptorsOn } from '../support/fds.js';
import { context, jobs } from '../support/jobs.js';

function node(yaml: string): ExecuteNode {
  const plan = buildPlan(jobs(yaml), context());
  const found = plan.nodes.find((one) => one.kind === 'execute');
  if (found?.kind !== 'execute') throw new Error('no job');
  return found;
}

const IMAGES = 'version: 1\nimages:\n  guest: { arch: arm64, kernel: k, initrd: i }\n';
const image = {
  name: 'guest',
  arch: 'arm64' as const,
  kernel: '/i/Image',
  initrd: '/i/initrd',
  disk: null,
  cmdline: null,
};
const paths = {
  jobShare: '/r/jobs/unit/guest',
  workShare: '/r/snapshot',
  disk: null,
  consoleLog: '/r/jobs/unit/console.log',
  restSocket: '/tmp/s.sock',
  pidFile: '/r/jobs/unit/vm.pid',
};

describe("a job's VM spec", () => {
  it('has the default size, the base kernel arguments, the job and work shares, and a network', () => {
    const spec = buildVmSpec({
      node: node(`${IMAGES}jobs:\n  unit: { run: make, image: guest, executor: qemu }\n`),
      image,
      ...paths,
      workShareWritable: false,
    });
    expect(spec).toEqual({
      name: 'unit',
      arch: 'arm64',
      cpus: 2,
      memoryMiB: 2048,
      kernel: '/i/Image',
      initrd: '/i/initrd',
      cmdline: 'console=hvc0 panic=-1',
      disk: null,
      shares: [
        { tag: 'vmplan-job', hostPath: '/r/jobs/unit/guest', readOnly: false },
        { tag: 'vmplan-work', hostPath: '/r/snapshot', readOnly: true },
      ],
      consoleLog: '/r/jobs/unit/console.log',
      restSocket: '/tmp/s.sock',
      pidFile: '/r/jobs/unit/vm.pid',
      network: true,
    });
  });

  it("takes the job's size, the image's arguments, a writable work share, the inputs and caches, no network", () => {
    const spec = buildVmSpec({
      node: node(
        `${IMAGES}jobs:\n  unit: { run: make, image: guest, executor: qemu, cpus: 3, memory: 1024 }\n`,
      ),
      image: { ...image, cmdline: 'quiet' },
      ...paths,
      workShareWritable: true,
      inputsShare: '/r/jobs/unit/inputs',
      caches: [{ name: 'npm', hostPath: '/cache/npm' }],
      network: false,
    });
    expect([spec.cpus, spec.memoryMiB, spec.cmdline, spec.network]).toEqual([
      3,
      1024,
      'console=hvc0 panic=-1 quiet',
      false,
    ]);
    expect(spec.shares).toEqual([
      { tag: 'vmplan-job', hostPath: '/r/jobs/unit/guest', readOnly: false },
      { tag: 'vmplan-work', hostPath: '/r/snapshot', readOnly: false },
      { tag: 'vmplan-inputs', hostPath: '/r/jobs/unit/inputs', readOnly: true },
      { tag: 'vmplan-cache-npm', hostPath: '/cache/npm', readOnly: false },
    ]);
  });
});

const SPEC: VmSpec = {
  name: 'unit',
  arch: 'arm64',
  cpus: 1,
  memoryMiB: 1,
  kernel: '/k',
  initrd: '/i',
  cmdline: 'console=hvc0',
  disk: null,
  shares: [{ tag: 'w'.repeat(MAX_TAG_BYTES), hostPath: '/s', readOnly: true }],
  consoleLog: '/c.log',
  restSocket: '/tmp/r.sock',
  pidFile: '/p.pid',
  network: false,
};

describe("a job's network: none beats its image's nat", () => {
  const yaml = (image: string, job: string) =>
    `version: 1\nimages:\n  guest: { arch: arm64, kernel: k, initrd: i${image} }\njobs:\n  unit: { run: make, image: guest, executor: qemu${job} }\n`;
  const trusted = trustedPolicy();
  const heldToNone = { ...trustedPolicy('trust: untrusted'), trusted: false, network: 'none' as const };
  // What the guest sees: a network device on the hypervisor's command line, or none.
  const devices = (job: ExecuteNode, trust: TrustPolicy = trusted) => {
    const spec = buildVmSpec({
      node: job,
      image,
      ...paths,
      workShareWritable: false,
      network: guestNetwork(job, trust),
    });
    return {
      qemu: qemuArgs(spec, { accel: 'tcg', shares: '9p' }).filter((arg) => /^(user,|virtio-net)/.test(arg)),
      vfkit: vfkitArgs(spec).filter((arg) => arg.startsWith('virtio-net')),
    };
  };

  it('boots without a network device when the job says none, whatever the image says', () => {
    for (const [imageSays, jobSays] of [
      [', network: nat', ', network: none'],
      ['', ', network: none'],
      [', network: none', ''],
    ]) {
      const job = node(yaml(imageSays!, jobSays!));
      expect([imageSays, jobSays, job.network]).toEqual([imageSays, jobSays, 'none']);
      expect(devices(job)).toEqual({ qemu: [], vfkit: [] });
    }
  });

  it('boots without one in an untrusted run held to untrusted-network: none, whatever the job says', () => {
    for (const jobSays of ['', ', network: nat'])
      expect(devices(node(yaml(', network: nat', jobSays)), heldToNone)).toEqual({ qemu: [], vfkit: [] });
  });

  it('keeps NAT when nothing says none (the control)', () => {
    const job = node(yaml(', network: nat', ''));
    expect(job.network).toBeUndefined();
    const nat = {
      qemu: [
        'user,id=net0,net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,dhcpstart=10.0.2.15',
        'virtio-net-pci,netdev=net0',
      ],
      vfkit: ['virtio-net,nat'],
    };
    expect(devices(job)).toEqual(nat);
    // untrusted-network: none holds only untrusted runs.
    expect(devices(job, { ...heldToNone, trusted: true })).toEqual(nat);
  });
});

describe('the hypervisor command lines', () => {
  it("virtiofsd gets a shared folder with commas whole: escaped in the C daemon's -o, as is in the Rust one's flag", () => {
    const folder = '/state,dir/runs/a,b\\c/guest';
    expect(virtiofsdArgs({ path: '/usr/lib/qemu/virtiofsd', flavour: 'c' }, '/tmp/v.sock', folder)).toContain(
      'source=/state\\,dir/runs/a\\,b\\\\c/guest',
    );
    expect(
      virtiofsdArgs({ path: '/usr/libexec/virtiofsd', flavour: 'rust' }, '/tmp/v.sock', folder),
    ).toContain(`--shared-dir=${folder}`);
  });

  it('virtiofsd (both flavours) runs without the capabilities to make a device or keep a set-id bit', () => {
    for (const flavour of ['c', 'rust'] as const) {
      const args = virtiofsdArgs(
        { path: '/usr/libexec/virtiofsd', flavour },
        '/tmp/v.sock',
        '/r/jobs/unit/guest',
      );
      expect(args.filter((arg) => arg.includes('modcaps'))).toEqual([
        flavour === 'c' ? 'modcaps=-mknod:-fsetid:-setfcap' : '--modcaps=-mknod:-fsetid:-setfcap',
      ]);
    }
  });

  it('QEMU: the binary of the architecture, no network device without a network, the CPU model only for arm64 TCG', () => {
    expect([qemuBinary('arm64'), qemuBinary('amd64')]).toEqual(['qemu-system-aarch64', 'qemu-system-x86_64']);
    const arm = qemuArgs(SPEC, { accel: 'tcg', shares: '9p' });
    expect(arm.join(' ')).not.toMatch(/netdev|virtio-net/);
    expect(arm.slice(0, 6)).toEqual(['-M', 'virt', '-accel', 'tcg', '-cpu', 'cortex-a57']);
    expect(qemuArgs({ ...SPEC, arch: 'amd64' }, { accel: 'tcg', shares: '9p' }).slice(0, 6)).toEqual([
      '-M',
      'q35',
      '-accel',
      'tcg',
      '-m',
      '1M',
    ]);
    const share = arm.indexOf('-fsdev');
    expect(arm.slice(share, share + 4)).toEqual([
      '-fsdev',
      `local,id=fs0,path=/s,security_model=none,readonly=on`,
      '-device',
      `virtio-9p-pci,fsdev=fs0,mount_tag=${'w'.repeat(MAX_TAG_BYTES)}`,
    ]);
    expect(
      qemuArgs(
        { ...SPEC, shares: [{ tag: 't', hostPath: '/s', readOnly: false }] },
        { accel: 'tcg', shares: '9p' },
      ),
    ).toContain('local,id=fs0,path=/s,security_model=mapped-xattr,fmode=0755,dmode=0755');
    expect(() => qemuArgs(SPEC, { accel: 'tcg', shares: 'virtiofs', virtiofsSockets: {} })).toThrow(
      `no virtiofsd socket for share ${'w'.repeat(MAX_TAG_BYTES)}`,
    );
  });

  it('vfkit: the smallest VM it can express, and a named error for what it cannot', () => {
    expect(vfkitArgs(SPEC).slice(0, 4)).toEqual(['--cpus', '1', '--memory', '1']);
    const refused = (spec: Partial<VmSpec>) => {
      try {
        vfkitArgs({ ...SPEC, ...spec });
      } catch (error) {
        expect(error).toBeInstanceOf(VfkitArgumentError);
        expect((error as Error).name).toBe('VfkitArgumentError');
        return (error as Error).message;
      }
      throw new Error('not refused');
    };
    expect(refused({ cpus: 0 })).toBe('cpus must be a whole number ≥ 1, got 0');
    expect(refused({ memoryMiB: 0 })).toBe('memory must be a whole number of MiB, got 0');
    expect(
      refused({ shares: [{ tag: 'w'.repeat(MAX_TAG_BYTES + 1), hostPath: '/s', readOnly: true }] }),
    ).toMatch(/is 36 bytes; it must be 1-35$/);
    expect(refused({ initrd: 'relative' })).toBe('the initrd path must be absolute, got "relative"');
    expect(refused({ consoleLog: 'c.log' })).toBe('the console log path must be absolute, got "c.log"');
    expect(refused({ disk: 'd.img' })).toBe('the disk path must be absolute, got "d.img"');
    expect(refused({ shares: [{ tag: 't', hostPath: 's', readOnly: true }] })).toBe(
      'the share t path must be absolute, got "s"',
    );
    expect(refused({ pidFile: 'p' })).toBe('the pidfile path must be absolute, got "p"');
    expect(refused({ restSocket: 'r.sock' })).toBe('the REST socket path must be absolute, got "r.sock"');
  });
});

describe('the environment a job inherits', () => {
  it("drops vmplan's own variables and NODE_OPTIONS, nothing that only looks like them", () => {
    const env = inheritableEnvironment({
      PATH: '/bin',
      VMPLAN_TOKEN: 'x',
      NODE_OPTIONS: '--require evil',
      NODE_OPTIONS_EXTRA: 'kept',
      MY_VMPLAN_SETTING: 'kept',
      EMPTY: undefined,
    });
    expect(env).toEqual({ PATH: '/bin', NODE_OPTIONS_EXTRA: 'kept', MY_VMPLAN_SETTING: 'kept' });
  });

  it('sets the same vmplan variables for every job', () => {
    expect(
      vmplanVariables('run-1', node(`${IMAGES}jobs:\n  unit: { run: make, executor: host }\n`), '/w'),
    ).toEqual({
      VMPLAN: '1',
      VMPLAN_RUN_ID: 'run-1',
      VMPLAN_JOB: 'unit',
      VMPLAN_WORKSPACE: '/w',
      CI: 'true',
    });
  });
});

describe('result.json from the guest', () => {
  const folder = mkdtempSync(join(tmpdir(), 'vmplan-result-'));
  const write = (name: string, text: string) => {
    writeFileSync(join(folder, name), text);
    return join(folder, name);
  };
  const result = {
    version: 1,
    status: 'passed',
    exitCode: 0,
    startedAt: null,
    finishedAt: '2026-12-04T10:00:00Z',
    message: null,
  };

  it('is refused when it is not a file, cannot be opened, or is too large; a file of the limit is read', () => {
    mkdirSync(join(folder, 'dir.json'));
    expect(readGuestResult(join(folder, 'dir.json'))).toEqual({
      kind: 'invalid',
      problem: 'result.json is not a regular file',
    });
    const file = write('plain', '{}');
    expect(readGuestResult(join(file, 'result.json'))).toEqual({
      kind: 'invalid',
      problem: 'result.json cannot be read (ENOTDIR)',
    });
    symlinkSync(join(folder, 'dir.json'), join(folder, 'link.json'));
    expect(readGuestResult(join(folder, 'link.json'))).toEqual({
      kind: 'invalid',
      problem: 'result.json is a symlink',
    });
    const exact = JSON.stringify(result);
    const padded = write('exact.json', exact + ' '.repeat(MAX_RESULT_BYTES - exact.length));
    expect(readGuestResult(padded)).toMatchObject({ kind: 'ok' });
  });

  it('names the field that does not match the protocol, or only the message when the whole is wrong', () => {
    expect(readGuestResult(write('field.json', JSON.stringify({ ...result, exitCode: 300 })))).toEqual({
      kind: 'invalid',
      problem: expect.stringMatching(/^result\.json does not match the guest protocol \(exitCode: \S/),
    });
    expect(readGuestResult(write('array.json', '[]'))).toEqual({
      kind: 'invalid',
      problem:
        'result.json does not match the guest protocol (Invalid input: expected object, received array)',
    });
  });

  it('closes every file it opens', () => {
    const path = write('ok.json', JSON.stringify(result));
    const open = () => descriptorsOn(path);
    const before = open();
    expect(before).toBe(0);
    for (let i = 0; i < 30; i++) readGuestResult(path);
    expect(open()).toBe(before);
  });
});

describe("a VM job's guest folder (what the guest agent reads)", () => {
  /** The variables a file defines, as sh sources it (what the guest agent does). */
  const sourced = (file: string): Record<string, string> => {
    const out = execFileSync('sh', ['-c', 'set -a; . "$1"; env -0', 'sh', file], { env: {} }).toString();
    return Object.fromEntries(
      out
        .split('\0')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
  };
  const write = (yaml: string, settings: Partial<GuestJobSettings>, secrets: Record<string, string> = {}) => {
    const folder = join(mkdtempSync(join(tmpdir(), 'vmplan-guest-files-')), 'guest');
    writeGuestFiles(
      folder,
      { node: node(`${IMAGES}jobs:\n${yaml}`), timeoutSeconds: 600, workspaceMode: 'overlay', ...settings },
      secrets,
    );
    return folder;
  };

  it("tells the guest exactly the job's choices: root or not, a writable workspace or not, a network or not, a disk or not", () => {
    const plain = sourced(
      join(write('  unit: { run: make, image: guest, executor: qemu }\n', { network: false }), 'job.env'),
    );
    expect(plain).toMatchObject({
      VMPLAN_JOB: 'unit',
      VMPLAN_TIMEOUT_SECONDS: '600',
      VMPLAN_RUN_AS_ROOT: '0',
      VMPLAN_WRITABLE_WORKSPACE: '0',
      VMPLAN_NETWORK: '0',
      VMPLAN_DISK: '0',
      VMPLAN_INPUTS: '0',
      VMPLAN_WORKSPACE_MODE: 'overlay',
    });
    const chosen = sourced(
      join(
        write(
          '  unit: { run: make, image: guest, executor: qemu, run-as-root: true, writable-workspace: true }\n',
          { network: true, disk: true, inputs: true, workspaceMode: 'copy' },
        ),
        'job.env',
      ),
    );
    expect(chosen).toMatchObject({
      VMPLAN_NET_STATIC: '',
      VMPLAN_RUN_AS_ROOT: '1',
      VMPLAN_WRITABLE_WORKSPACE: '1',
      VMPLAN_NETWORK: '1',
      VMPLAN_DISK: '1',
      VMPLAN_INPUTS: '1',
      VMPLAN_WORKSPACE_MODE: 'copy',
    });
  });

  it('gives the guest the addresses of a NAT that always hands out the same ones, and none without a network', () => {
    const job = '  unit: { run: make, image: guest, executor: qemu }\n';
    const fixed = { address: '10.0.2.15/24', gateway: '10.0.2.2', dns: '10.0.2.3' };
    const env = (settings: Partial<GuestJobSettings>) => sourced(join(write(job, settings), 'job.env'));
    expect(env({ network: true, staticNetwork: fixed }).VMPLAN_NET_STATIC).toBe(
      '10.0.2.15/24 10.0.2.2 10.0.2.3',
    );
    expect(env({ network: false, staticNetwork: fixed }).VMPLAN_NET_STATIC).toBe('');
    expect(env({ network: true }).VMPLAN_NET_STATIC).toBe('');
  });

  it('keeps secrets in secrets.env alone, readable by the runner user only, in a folder only that user can enter', () => {
    const folder = write(
      '  unit: { run: make, image: guest, executor: qemu, env: { PLAIN: "a b" }, secrets: [TOKEN] }\n',
      {},
      { TOKEN: "s3cr'et $x" },
    );
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(join(folder, 'secrets.env')).mode & 0o777).toBe(0o600);
    expect(sourced(join(folder, 'secrets.env'))).toMatchObject({ TOKEN: "s3cr'et $x" });
    expect(sourced(join(folder, 'env'))).toMatchObject({ PLAIN: 'a b', VMPLAN_JOB: 'unit' });
    for (const name of ['env', 'job.env', 'command.sh'])
      expect([name, readFileSync(join(folder, name), 'utf8').includes('s3cr')]).toEqual([name, false]);
    expect(readFileSync(join(folder, 'command.sh'), 'utf8')).toBe('make\n');
  });

  it('tells run-as-root and writable-workspace apart: each is its own choice', () => {
    const env = (options: string) =>
      sourced(
        join(write(`  unit: { run: make, image: guest, executor: qemu, ${options} }\n`, {}), 'job.env'),
      );
    expect(env('writable-workspace: true')).toMatchObject({
      VMPLAN_RUN_AS_ROOT: '0',
      VMPLAN_WRITABLE_WORKSPACE: '1',
    });
    expect(env('run-as-root: true')).toMatchObject({
      VMPLAN_RUN_AS_ROOT: '1',
      VMPLAN_WRITABLE_WORKSPACE: '0',
    });
  });

  it('gives an interactive shell no secrets: no secrets.env at all, and the guest told it is a shell', () => {
    const job = '  unit: { run: make, image: guest, executor: qemu, secrets: [TOKEN] }\n';
    const shell = write(job, { shell: true }, { TOKEN: 's3cret' });
    expect(existsSync(join(shell, 'secrets.env'))).toBe(false);
    expect(sourced(join(shell, 'job.env')).VMPLAN_SHELL).toBe('1');
    // The job itself (the control) gets its secret, and no shell.
    const run = write(job, {}, { TOKEN: 's3cret' });
    expect(sourced(join(run, 'secrets.env'))).toMatchObject({ TOKEN: 's3cret' });
    expect(sourced(join(run, 'job.env')).VMPLAN_SHELL).toBe('0');
  });

  it('names what the guest collects, each list from its own field, and where each cache goes', () => {
    const env = sourced(
      join(
        write(
          `  unit:
    run: make
    image: guest
    executor: qemu
    artifacts: ['dist/**/*.tgz']
    reports: { junit: [out/junit.xml] }
    outputs: ['build/{bin,lib}/']
    caches: { npm: /home/vmplan/.npm, cargo: /root/.cargo }
`,
          {},
        ),
        'job.env',
      ),
    );
    expect(env).toMatchObject({
      VMPLAN_COLLECT_ARTIFACTS: './dist/*.tgz',
      VMPLAN_COLLECT_REPORTS: './out/junit.xml',
      VMPLAN_COLLECT_OUTPUTS: './build/*',
    });
    expect(env.VMPLAN_CACHES?.split('\n').sort()).toEqual(['cargo /root/.cargo', 'npm /home/vmplan/.npm']);
  });
});

describe("a host job's environment", () => {
  it("is the runner's minus credentials and secrets other jobs name; then the job's env, its own secrets, and vmplan's variables, which win", () => {
    const job = node(
      `${IMAGES}jobs:\n  unit: { run: make, executor: host, env: { MODE: fast, CI: "false" }, secrets: [TOKEN] }\n`,
    );
    const env = hostJobEnvironment(
      { PATH: '/bin', GITHUB_TOKEN: 'ghs_x', DEPLOY_KEY: 'other-jobs-secret', TOKEN: 'runner-token' },
      job,
      { TOKEN: 'runner-token' },
      vmplanVariables('run-1', job, '/w'),
      new Set(['DEPLOY_KEY', 'TOKEN']),
    );
    expect(env).toEqual({
      PATH: '/bin',
      MODE: 'fast',
      TOKEN: 'runner-token',
      CI: 'true',
      VMPLAN: '1',
      VMPLAN_RUN_ID: 'run-1',
      VMPLAN_JOB: 'unit',
      VMPLAN_WORKSPACE: '/w',
    });
  });
});
