// The OCI client against a real registry (Debian's docker-registry on loopback), with and without basic auth.
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf, RegistryClient, RegistryError, registryBase } from '../../src/oci/client.js';
import { parseReference } from '../../src/oci/reference.js';
import { commandWorks, prerequisite } from '../support/prerequisites.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-oci-client-'));
let open: TestRegistry;
let locked: TestRegistry;
const USER = { name: 'ci', password: 's3cret-pass' };

const available = prerequisite(
  'docker-registry and htpasswd (the docker-registry and apache2-utils packages)',
  commandWorks('docker-registry', ['--version']) && commandWorks('htpasswd', ['-nbB', 'a', 'b']),
);

beforeAll(async () => {
  if (available) [open, locked] = await Promise.all([startRegistry(), startRegistry(USER)]);
});
afterAll(async () => {
  await Promise.all([open?.stop(), locked?.stop()]);
  rmSync(folder, { recursive: true, force: true });
});

const manifestFor = (config: Buffer, layer: Buffer) =>
  Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.vmplan.test.v1',
      config: {
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: digestOf(config),
        size: config.length,
      },
      layers: [{ mediaType: 'application/octet-stream', digest: digestOf(layer), size: layer.length }],
    }),
  );

describe.skipIf(!available)('the OCI registry client', () => {
  it('pushes blobs once (a second push sends nothing), stores a manifest by tag, and pulls it back by tag and by digest', async () => {
    const client = new RegistryClient({ registry: open.host, repository: 'acme/guest' }, undefined);
    const layer = Buffer.alloc(300_000, 7);
    const config = Buffer.from('{}');
    expect(await client.pushBlob(digestOf(layer), { bytes: layer })).toBe(true);
    expect(await client.pushBlob(digestOf(config), { bytes: config })).toBe(true);
    expect(client.bytesSent).toBe(300_002);
    expect(await client.pushBlob(digestOf(layer), { bytes: layer })).toBe(false);
    expect(client.bytesSent).toBe(300_002);
    const manifest = manifestFor(config, layer);
    const digest = await client.putManifest('1.0', manifest, 'application/vnd.oci.image.manifest.v1+json');
    expect((await client.getManifest('1.0')).digest).toBe(digest);
    expect((await client.getManifest(digest)).bytes.equals(manifest)).toBe(true);
    const file = join(folder, 'layer');
    await client.fetchBlob(digestOf(layer), file);
    expect(readFileSync(file).equals(layer)).toBe(true);
  });

  it('resumes an interrupted blob download where it stopped, and verifies the whole blob', async () => {
    const client = new RegistryClient({ registry: open.host, repository: 'acme/resume' }, undefined);
    const layer = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
    await client.pushBlob(digestOf(layer), { bytes: layer });
    const file = join(folder, 'partial');
    writeFileSync(file, layer.subarray(0, 150_000));
    await client.fetchBlob(digestOf(layer), file, 150_000);
    expect(readFileSync(file).equals(layer)).toBe(true);
    expect(client.bytesReceived).toBe(50_000);
  });

  it('refuses a blob whose bytes do not match its digest, naming it', async () => {
    const client = new RegistryClient({ registry: open.host, repository: 'acme/corrupt' }, undefined);
    const layer = Buffer.alloc(10_000, 1);
    const digest = digestOf(layer);
    await client.pushBlob(digest, { bytes: layer });
    const data = join(
      open.root,
      'docker/registry/v2/blobs/sha256',
      digest.slice(7, 9),
      digest.slice(7),
      'data',
    );
    truncateSync(data, 9_000);
    const error = await client.fetchBlob(digest, join(folder, 'corrupt')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).message).toMatch(
      new RegExp(`blob ${digest} arrived with digest sha256:[0-9a-f]{64}: refused`),
    );
  });

  it('logs in on a basic-auth challenge, and says what is wrong without credentials or with bad ones', async () => {
    const reference = { registry: locked.host, repository: 'acme/private' };
    const layer = Buffer.from('private bytes');
    const good = new RegistryClient(reference, { username: USER.name, password: USER.password });
    expect(await good.pushBlob(digestOf(layer), { bytes: layer })).toBe(true);
    expect(await good.hasBlob(digestOf(layer))).toBe(true);
    const anonymous = await new RegistryClient(reference, undefined)
      .hasBlob(digestOf(layer))
      .catch((caught: unknown) => caught);
    expect((anonymous as Error).message).toBe(`${locked.host} needs a login (no credentials found)`);
    const wrong = await new RegistryClient(reference, { username: USER.name, password: 'nope' })
      .hasBlob(digestOf(layer))
      .catch((caught: unknown) => caught);
    expect(wrong).toMatchObject({ status: 401 });
  });

  it('names a missing manifest with the registry error code', async () => {
    const client = new RegistryClient({ registry: open.host, repository: 'acme/guest' }, undefined);
    const error = (await client.getManifest('9.9').catch((caught: unknown) => caught)) as RegistryError;
    expect(error.code).toBe('MANIFEST_UNKNOWN');
    expect(error.message).toMatch(
      /GET http:\/\/127\.0\.0\.1:\d+\/v2\/acme\/guest\/manifests\/9\.9: HTTP 404 \(MANIFEST_UNKNOWN\)$/,
    );
  });
});

describe('image references', () => {
  it('reads a registry, repository, tag and digest; refuses what is not one', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseReference(`ghcr.io/org/guest:1.2@${digest}`)).toEqual({
      registry: 'ghcr.io',
      repository: 'org/guest',
      tag: '1.2',
      digest,
    });
    expect(parseReference('127.0.0.1:5000/acme/guest:latest')).toMatchObject({
      registry: '127.0.0.1:5000',
      tag: 'latest',
    });
    expect(() => parseReference('debian:12')).toThrow('no registry host');
    expect(() => parseReference('ghcr.io/org/guest')).toThrow('no tag or digest');
    expect(() => parseReference('ghcr.io/Org/guest:1')).toThrow('is not a repository name');
    expect(() => parseReference('ghcr.io/org/guest@sha256:abc')).toThrow('is not a sha256 digest');
  });

  it('takes a digest alone (no tag), and a tag of up to 128 characters', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    expect(parseReference(`ghcr.io/org/guest@${digest}`)).toEqual({
      registry: 'ghcr.io',
      repository: 'org/guest',
      tag: undefined,
      digest,
    });
    const longest = `v${'1'.repeat(127)}`;
    expect(parseReference(`ghcr.io/org/guest:${longest}`).tag).toBe(longest);
    expect(() => parseReference(`ghcr.io/org/guest:${longest}2`)).toThrow(`"${longest}2" is not a valid tag`);
  });
});

describe('the URL a registry is spoken to at', () => {
  it('plain http for a loopback registry only; https for every other name, however it ends', () => {
    const base = (registry: string) => registryBase({ registry, repository: 'acme/guest' });
    expect(base('localhost:5000')).toBe('http://localhost:5000/v2/acme/guest');
    expect(base('127.0.0.1:5000')).toBe('http://127.0.0.1:5000/v2/acme/guest');
    expect(base('[::1]:5000')).toBe('http://[::1]:5000/v2/acme/guest');
    expect(base('ghcr.io')).toBe('https://ghcr.io/v2/acme/guest');
    // Names that only end like a loopback host are someone's server: a login goes there over TLS.
    expect(base('mylocalhost:5000')).toBe('https://mylocalhost:5000/v2/acme/guest');
    expect(base('registry.localhost.example.com')).toBe(
      'https://registry.localhost.example.com/v2/acme/guest',
    );
    expect(base('x127.0.0.1:5000')).toBe('https://x127.0.0.1:5000/v2/acme/guest');
  });
});
