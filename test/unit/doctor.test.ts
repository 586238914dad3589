import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type Check,
  checkHost,
  checksMarkdown,
  type HostFacts,
  hasVirtualizationEntitlement,
  renderChecks,
} from '../../src/doctor/checks.js';

const recorded = (name: string) =>
  readFileSync(new URL(`../fixtures/doctor/${name}`, import.meta.url), 'latin1');

/** A Mac mini that is ready: outputs as macOS 14 and Homebrew's vfkit print them. */
function readyMac(): HostFacts {
  return {
    platform: 'darwin',
    arch: 'arm64',
    translated: '0\n',
    macosVersion: '14.5\n',
    executors: ['vfkit'],
    vfkit: {
      path: '/opt/homebrew/bin/vfkit',
      versionOutput: 'vfkit version: v0.6.4\n',
      entitlementsOutput: recorded('codesign-homebrew-vfkit.txt'),
    },
    runner: { dir: '/Users/ci/actions-runner', versionOutput: '2.330.0\n' },
    folders: [
      {
        what: 'state folder',
        path: '/Users/ci/actions-runner/_work/_temp/vmplan',
        underRunnerTemp: true,
        persistent: false,
        freeBytes: 120e9,
      },
      {
        what: 'cache folder',
        path: '/Users/ci/Library/Caches/vmplan',
        underRunnerTemp: false,
        persistent: true,
        freeBytes: 120e9,
      },
    ],
  };
}

const byId = (checks: Check[], id: string) => checks.find((check) => check.id === id);

describe('vmplan doctor on a Mac (recorded outputs)', () => {
  it('fails vfkit before 0.6.2 (vmplan passes --pidfile, which came with 0.6.2), passes 0.6.2 and later', () => {
    const vfkitCheck = (printed: string) => {
      const facts = readyMac();
      facts.vfkit = { ...facts.vfkit!, versionOutput: printed };
      return byId(checkHost(facts), 'vfkit');
    };
    for (const old of ['0.5.9', '0.6.0', '0.6.1'])
      expect(vfkitCheck(`vfkit version: v${old}\n`)).toEqual({
        id: 'vfkit',
        status: 'fail',
        summary: `vfkit ${old} at /opt/homebrew/bin/vfkit is too old (vmplan needs 0.6.2 or newer)`,
        fix: 'brew upgrade vfkit',
      });
    for (const good of ['0.6.2', '0.6.4', '0.7.0', '1.0.0'])
      expect(vfkitCheck(`vfkit version: v${good}\n`)?.status).toBe('ok');
  });

  it('passes a ready Mac mini, every check ok', () => {
    const checks = checkHost(readyMac());
    expect(checks.map((check) => [check.id, check.status])).toEqual([
      ['macos', 'ok'],
      ['apple-silicon', 'ok'],
      ['vfkit', 'ok'],
      ['vfkit-entitlement', 'ok'],
      ['runner', 'ok'],
      ['state-folder', 'ok'],
      ['cache-folder', 'ok'],
    ]);
    expect(byId(checks, 'vfkit')?.summary).toBe('vfkit 0.6.4 at /opt/homebrew/bin/vfkit');
    expect(renderChecks(checks)).toMatch(/ready \(7 checks passed\)\n$/);
  });

  it.each([
    ['codesign-homebrew-vfkit.txt', true],
    ['codesign-xml-plist.txt', true],
    ['codesign-adhoc-no-entitlements.txt', false],
    ['codesign-unsigned.txt', false],
    ['codesign-entitlement-false.txt', false],
  ])('reads the virtualization entitlement from codesign output %s: %s', (file, granted) => {
    expect(hasVirtualizationEntitlement(recorded(file))).toBe(granted);
  });

  it('fails a vfkit without the entitlement, and says how to get one that has it', () => {
    const facts = readyMac();
    facts.vfkit!.entitlementsOutput = recorded('codesign-unsigned.txt');
    const check = byId(checkHost(facts), 'vfkit-entitlement')!;
    expect(check.status).toBe('fail');
    expect(check.summary).toContain('not signed with the com.apple.security.virtualization entitlement');
    expect(check.fix).toContain('brew install vfkit');
  });

  it('fails a missing, unreadable or too old vfkit', () => {
    const missing = readyMac();
    missing.vfkit = {};
    expect(byId(checkHost(missing), 'vfkit')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('brew install vfkit'),
    });
    const old = readyMac();
    old.vfkit!.versionOutput = 'vfkit version: v0.5.1\n';
    expect(byId(checkHost(old), 'vfkit')).toMatchObject({
      status: 'fail',
      summary: 'vfkit 0.5.1 at /opt/homebrew/bin/vfkit is too old (vmplan needs 0.6.2 or newer)',
      fix: 'brew upgrade vfkit',
    });
    const odd = readyMac();
    odd.vfkit!.versionOutput = 'dyld: Library not loaded\n';
    expect(byId(checkHost(odd), 'vfkit')?.summary).toContain(
      'cannot tell the version of /opt/homebrew/bin/vfkit',
    );
  });

  it('fails macOS older than 13, an Intel Mac and a Node running under Rosetta', () => {
    const ventura = readyMac();
    ventura.macosVersion = '13.0\n';
    expect(byId(checkHost(ventura), 'macos')?.status).toBe('ok');
    const monterey = readyMac();
    monterey.macosVersion = '12.7.6\n';
    expect(byId(checkHost(monterey), 'macos')).toMatchObject({
      status: 'fail',
      fix: 'update to macOS 13 or newer',
    });
    const intel = readyMac();
    intel.arch = 'x64';
    expect(byId(checkHost(intel), 'apple-silicon')?.summary).toContain('an Intel Mac');
    const rosetta = readyMac();
    rosetta.arch = 'x64';
    rosetta.translated = '1\n';
    expect(byId(checkHost(rosetta), 'apple-silicon')).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('Rosetta'),
    });
  });

  it('fails a runner too old for node24 actions, and warns when its version cannot be read', () => {
    const old = readyMac();
    old.runner = { dir: '/Users/ci/actions-runner', versionOutput: '2.327.1\n' };
    expect(byId(checkHost(old), 'runner')).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining(
        'is 2.327.1: node24 actions need 2.327.1, and GitHub refuses runners older than 2.329.0',
      ),
    });
    const current = readyMac();
    current.runner = { dir: '/Users/ci/actions-runner', versionOutput: '2.329.0\n' };
    expect(byId(checkHost(current), 'runner')?.status).toBe('ok');
    const unknown = readyMac();
    unknown.runner = { dir: '/Users/ci/actions-runner' };
    expect(byId(checkHost(unknown), 'runner')?.status).toBe('warn');
  });

  it('warns of a cache folder under RUNNER_TEMP (emptied every job) and of little free space; fails an unusable one', () => {
    const facts = readyMac();
    facts.folders[1] = { ...facts.folders[1]!, underRunnerTemp: true };
    facts.folders[0] = { ...facts.folders[0]!, freeBytes: 3e9 };
    const checks = checkHost(facts);
    expect(byId(checks, 'cache-folder')).toMatchObject({
      status: 'warn',
      summary: expect.stringContaining('under RUNNER_TEMP'),
    });
    // The state folder is per-run data: under RUNNER_TEMP is where it belongs.
    expect(byId(checks, 'state-folder')).toMatchObject({
      status: 'warn',
      summary: expect.stringContaining('only 3.0 GB free'),
    });
    expect(renderChecks(checks)).toMatch(/ready, with 2 warning\(s\)\n$/);
    const { freeBytes: _, ...state } = facts.folders[0]!;
    facts.folders[0] = { ...state, problem: '/Users/ci/x is not writable by this user' };
    const unusable = checkHost(facts);
    expect(renderChecks(unusable)).toMatch(/1 problem\(s\) stop vmplan on this host, 1 warning\(s\)\n$/);
    const markdown = checksMarkdown(unusable);
    expect(markdown.split('\n')[4]).toMatch(
      /^\| ✘ \| state folder .*: \/Users\/ci\/x is not writable by this user/,
    );
    expect(markdown.split('\n')[5]).toMatch(/^\| ! \| cache folder .* under RUNNER_TEMP/);
  });
});

describe("doctor's report on a terminal", () => {
  it('prints the fix under each warning and each problem, never under a check that passed', () => {
    const text = renderChecks([
      { id: 'a', status: 'ok', summary: 'fine', fix: 'nothing to do' },
      { id: 'b', status: 'warn', summary: 'low', fix: 'free space' },
      { id: 'c', status: 'fail', summary: 'broken', fix: 'repair it' },
    ]);
    expect(text).toBe(
      '✔ fine\n! low\n    fix: free space\n✘ broken\n    fix: repair it\n\n1 problem(s) stop vmplan on this host, 1 warning(s)\n',
    );
  });
});

describe('vmplan doctor on Linux (recorded facts)', () => {
  it('checks image builds: the package of each missing tool, then root for a Debian root disk', () => {
    const build = (tools: Record<string, string | null>, root: boolean) =>
      checkHost({
        platform: 'linux',
        arch: 'arm64',
        executors: [],
        imageBuild: { tools, root },
        folders: [],
      })[0];
    const all = Object.fromEntries(
      ['apt-get', 'dpkg-deb', 'mmdebstrap', 'cpio', 'depmod', 'mkfs.ext4'].map((tool) => [
        tool,
        `/usr/bin/${tool}`,
      ]),
    );
    expect(build({ ...all, 'dpkg-deb': null, 'mkfs.ext4': null }, true)).toEqual({
      id: 'image-build',
      status: 'warn',
      summary: 'vmplan image build needs dpkg-deb, mkfs.ext4: not found',
      fix: 'sudo apt-get install dpkg e2fsprogs',
    });
    expect(build(all, false)).toMatchObject({
      status: 'warn',
      summary: 'vmplan image build debian needs root (it builds a Debian root file system); this is not root',
    });
    expect(build(all, true)).toEqual({
      id: 'image-build',
      status: 'ok',
      summary: 'image build tools: all found, running as root',
    });
  });

  it('warns without KVM or virtiofsd, and names the package for a missing QEMU', () => {
    const checks = checkHost({
      platform: 'linux',
      arch: 'x64',
      executors: ['qemu'],
      qemu: [
        { binary: 'qemu-system-aarch64' },
        {
          binary: 'qemu-system-x86_64',
          versionOutput: 'QEMU emulator version 7.2.15 (Debian 1:7.2+dfsg-7+deb12u13)\n',
        },
      ],
      kvm: { usable: false, why: 'no usable /dev/kvm' },
      virtiofsd: null,
      folders: [],
    });
    expect(checks.map((check) => [check.id, check.status])).toEqual([
      ['qemu-system-aarch64', 'warn'],
      ['qemu-system-x86_64', 'ok'],
      ['kvm', 'warn'],
      ['virtiofsd', 'warn'],
    ]);
    expect(checks[0]?.fix).toBe('apt-get install qemu-system-arm');
    expect(checks[1]?.summary).toBe('qemu-system-x86_64 (QEMU 7.2.15)');
  });
});
