// Reproducible guest builds: the test guest built again from the same inputs, in another folder at another time,
// is the same bytes, so the same image digest, and pushing it again sends nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/oci/client.js';
import { pushGuestImage } from '../../src/oci/guest-image.js';
import { REPO_ROOT } from '../support/cli.js';
import { commandWorks, prerequisite } from '../support/prerequisites.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { testGuest } from '../support/vm.js';

const guest = testGuest();
const available = prerequisite(
  'docker-registry (the docker-registry package)',
  commandWorks('docker-registry', ['--version']),
);
const folder = mkdtempSync(join(tmpdir(), 'vmplan-reproducible-'));
let registry: TestRegistry;
beforeAll(async () => {
  if (available && guest !== undefined) registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
  rmSync(folder, { recursive: true, force: true });
});

describe.skipIf(!available || guest === undefined)('reproducible guest builds', () => {
  it('the test guest built twice is the same bytes and the same digest; the second push sends nothing', async () => {
    // Another cache folder (so the build runs again, elsewhere), with the package lists and downloads of the
    // first: the same inputs, nothing fetched.
    const cache = join(folder, 'cache');
    execFileSync('mkdir', ['-p', cache]);
    execFileSync('cp', ['-a', join(REPO_ROOT, 'node_modules/.cache/vmplan-test-guest/apt-arm64'), cache]);
    const built = spawnSync(
      join(REPO_ROOT, 'guest/build-test-guest.sh'),
      ['--arch', 'arm64', '--cache', cache],
      {
        encoding: 'utf8',
        env: { ...process.env, TMPDIR: folder },
      },
    );
    expect(built.status, built.stderr).toBe(0);
    const again = built.stdout.trim().split('\n').pop()!;
    expect(again).not.toBe(guest!);
    for (const name of ['kernel', 'initrd'])
      expect(readFileSync(join(again, name)).equals(readFileSync(join(guest!, name))), name).toBe(true);

    const client = new RegistryClient({ registry: registry.host, repository: 'acme/test-guest' }, undefined);
    const first = await pushGuestImage(client, guest!, 'main');
    const second = await pushGuestImage(client, again, 'main');
    expect(second.digest).toBe(first.digest);
    expect(second.moved).toBe(0);
    expect(second.bytes).toBe(0);
    // A build of a few minutes on a loaded machine: the outcome is what is tested, not the time.
  }, 900_000);
});
