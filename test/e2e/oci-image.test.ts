// A jobs file whose image lives in an OCI registry: the tag is resolved to a digest when planning (the plan names
// exact bytes), the image is pulled once into the image cache, verified, and booted by the qemu executor.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/oci/client.js';
import { pushGuestImage } from '../../src/oci/guest-image.js';
import { runVmplan } from '../support/cli.js';
import { commandWorks, prerequisite } from '../support/prerequisites.js';
import { testProject } from '../support/project.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { testGuest } from '../support/vm.js';

const guest = testGuest();
const available = prerequisite(
  'docker-registry (the docker-registry package)',
  commandWorks('docker-registry', ['--version']),
);
let registry: TestRegistry;
beforeAll(async () => {
  if (available && guest !== undefined) registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
});

describe.skipIf(!available || guest === undefined)('oci: images', () => {
  it('plans a tag as its digest, pulls the image once into the cache, boots it; a tag that is not there stops planning', async () => {
    const client = new RegistryClient({ registry: registry.host, repository: 'acme/tiny' }, undefined);
    const pushed = await pushGuestImage(client, guest!, '1');
    const reference = `${registry.host}/acme/tiny:1`;
    const project = testProject(`version: 1
images:
  tiny: { arch: arm64, oci: "${reference}", cpus: 1, memory: 512, cmdline: "quiet cryptomgr.notests" }
defaults: { image: tiny, executor: qemu }
jobs:
  hello: { run: 'echo "hello from $(uname -m)"' }
`);
    const planned = await runVmplan(['plan', '--json'], { cwd: project.root });
    expect(planned.code, planned.stderr).toBe(0);
    const node = (JSON.parse(planned.stdout).plan.nodes as { id: string }[]).find(
      (n) => n.id === 'image:tiny',
    );
    expect(node).toMatchObject({ type: 'oci', reference, digest: pushed.digest });

    const first = await runVmplan(['run'], { cwd: project.root });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain('hello from aarch64');
    const imageLog = () =>
      readFileSync(join(project.root, '.vmplan/runs', project.latestRun(), 'images/tiny/host.log'), 'utf8');
    expect(imageLog()).toMatch(
      new RegExp(`fetched 3 of 3 blob\\(s\\), .* of ${registry.host}/acme/tiny@${pushed.digest}`),
    );
    const second = await runVmplan(['run'], { cwd: project.root });
    expect(second.code, second.stderr).toBe(0);
    expect(imageLog()).toContain(`vmplan: image "tiny" from the cache (${pushed.digest})`);

    project.write(
      '.github/vmplan.yml',
      readFileSync(join(project.root, '.github/vmplan.yml'), 'utf8').replace(':1"', ':2"'),
    );
    const missing = await runVmplan(['plan'], { cwd: project.root });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /images\.tiny\.oci: cannot resolve .*acme\/tiny:2 to a digest: .*MANIFEST_UNKNOWN/,
    );
  });
  it('a run after `vmplan image pull` fetches no blob: a digest asks the registry nothing, a tag one manifest request', async () => {
    const client = new RegistryClient({ registry: registry.host, repository: 'acme/pulled' }, undefined);
    const pushed = await pushGuestImage(client, guest!, '1');
    const tagged = `${registry.host}/acme/pulled:1`;
    const project = testProject(`version: 1
images:
  tiny: { arch: arm64, oci: "${registry.host}/acme/pulled@${pushed.digest}", cpus: 1, memory: 512, cmdline: "quiet cryptomgr.notests" }
defaults: { image: tiny, executor: qemu }
jobs:
  hello: { run: 'echo "hello from $(uname -m)"' }
`);
    // The pull fills the cache the project's runs use (the test CLI's cache is in the state folder it runs in).
    const pull = await runVmplan(['image', 'pull', tagged], { cwd: project.root });
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stderr).toMatch(/fetched 3 of 3 blob\(s\)/);
    const imageLog = () =>
      readFileSync(join(project.root, '.vmplan/runs', project.latestRun(), 'images/tiny/host.log'), 'utf8');

    const before = (await registry.requests()).length;
    const byDigest = await runVmplan(['run'], { cwd: project.root });
    expect(byDigest.code, byDigest.stdout + byDigest.stderr).toBe(0);
    expect(byDigest.stdout).toContain('hello from aarch64');
    expect((await registry.requests()).slice(before)).toEqual([]);
    expect(imageLog()).toContain(`vmplan: image "tiny" from the cache (${pushed.digest})`);

    // A tag is resolved when planning (the plan names exact bytes): one manifest request, no blob.
    project.write(
      '.github/vmplan.yml',
      readFileSync(join(project.root, '.github/vmplan.yml'), 'utf8').replace(`@${pushed.digest}`, ':1'),
    );
    const between = (await registry.requests()).length;
    const byTag = await runVmplan(['run'], { cwd: project.root });
    expect(byTag.code, byTag.stdout + byTag.stderr).toBe(0);
    expect((await registry.requests()).slice(between)).toEqual(['GET /v2/acme/pulled/manifests/1']);
    expect(imageLog()).toContain(`vmplan: image "tiny" from the cache (${pushed.digest})`);
  });
});
