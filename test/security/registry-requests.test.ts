// Hostile case (issue 28, class 6): an `oci:` image's registry answered with a Bearer realm on an internal
// address, and the runner fetched it at plan time (even with `untrusted-network: none`) and put the answer into
// its error. A realm must be on the registry's own origin (or a known public token service); an untrusted run
// connects only to public addresses; errors repeat no remote body.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobsFile } from '../../src/config/schema.js';
import { resolveOciTags } from '../../src/context/oci-tags.js';
import { addressProblem, namedAddressesAllowed } from '../../src/oci/address.js';
import { digestOf, RegistryClient, realmProblem } from '../../src/oci/client.js';
import {
  GUEST_ARTIFACT_TYPE,
  GuestManifestSchema,
  MEDIA,
  pullGuestImage,
} from '../../src/oci/guest-image.js';
import { guardedFetch } from '../../src/oci/transport.js';

const SECRET = 'INTERNAL-SECRET-7f3a';

/** A local HTTP server that counts its requests. */
async function serve(
  handle: (path: string, response: import('node:http').ServerResponse) => void,
): Promise<{ server: Server; host: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((request, response) => {
    hits++;
    handle(request.url ?? '', response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, host: `127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits };
}

let internal: Awaited<ReturnType<typeof serve>>;
let registry: Awaited<ReturnType<typeof serve>>;
const folder = mkdtempSync(join(tmpdir(), 'vmplan-registry-requests-'));

beforeAll(async () => {
  // An internal service: it answers anything, with something the attacker would like to read.
  internal = await serve((_path, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ token: SECRET, detail: SECRET }));
  });
  // A hostile registry: a Bearer realm pointing at the internal service, and bodies full of secrets.
  registry = await serve((path, response) => {
    if (path.includes('/manifests/realm')) {
      response.writeHead(401, {
        'www-authenticate': `Bearer realm="http://${internal.host}/token",service="x",scope="${SECRET}"`,
      });
      response.end();
    } else if (path.includes('/manifests/coded')) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ errors: [{ code: SECRET, message: 'm' }] }));
    } else if (path.includes('/manifests/html')) {
      response.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      response.end(`<html>${SECRET}</html>`);
    } else {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: SECRET, detail: SECRET }] }),
      );
    }
  });
});
afterAll(() => {
  internal.server.close();
  registry.server.close();
  rmSync(folder, { recursive: true, force: true });
});

const jobsFile = (oci: string) =>
  ({ version: 1, images: { guest: { oci } }, jobs: {} }) as unknown as JobsFile;

describe("a registry's realm, redirects and answers do not steer the runner", () => {
  it('a realm on another host is never asked, even in a trusted run with credentials', async () => {
    const before = internal.hits();
    const client = new RegistryClient(
      { registry: registry.host, repository: 'acme/guest' },
      { username: 'operator', password: 'hunter2' },
    );
    const error = (await client.getManifest('realm').catch((caught: unknown) => caught)) as Error;
    expect(error.message).toContain('named a token service on another host');
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain(internal.host);
    expect(internal.hits() - before).toBe(0);
  });

  it('an untrusted plan never connects to a loopback registry (by address or by name), and says why', async () => {
    const before = registry.hits();
    const port = registry.host.split(':')[1];
    for (const host of [registry.host, `localhost:${port}`]) {
      const error = (await resolveOciTags(jobsFile(`${host}/acme/guest:realm`), {}, { trusted: false }).catch(
        (caught: unknown) => caught,
      )) as Error;
      expect(error.message).toContain(
        `images.guest.oci: cannot resolve ${host}/acme/guest:realm to a digest`,
      );
      expect(error.message).toContain('not a public address');
    }
    expect(registry.hits() - before).toBe(0);
    expect(internal.hits()).toBe(0);
  });

  it("a registry's error body, and a manifest that is not JSON, never reach the error message", async () => {
    const client = new RegistryClient({ registry: registry.host, repository: 'acme/guest' }, undefined);
    const missing = (await client.getManifest('gone').catch((caught: unknown) => caught)) as Error;
    expect(missing.message).toMatch(/: HTTP 404 \(MANIFEST_UNKNOWN\)$/);
    expect(missing.message).not.toContain(SECRET);
    // An error code the distribution spec does not name is the registry's text too: only the status is kept.
    const coded = (await client.getManifest('coded').catch((caught: unknown) => caught)) as Error;
    expect(coded.message).toMatch(/\/manifests\/coded: HTTP 404$/);
    const html = (await pullGuestImage(client, 'html', join(folder, 'out'), join(folder, 'blobs')).catch(
      (caught: unknown) => caught,
    )) as Error;
    expect(html.message).toContain('is not a vmplan guest image');
    expect(html.message).not.toContain(SECRET);
  });

  it('a failed upload names the URL vmplan built, never the upload location the registry gave', async () => {
    // Accepts an upload at a location full of secrets, then refuses the bytes.
    const uploads = createServer((request, response) => {
      if (request.method === 'HEAD') response.writeHead(404).end();
      else if (request.method === 'POST')
        response.writeHead(202, { location: `/upload/${SECRET}?_state=${SECRET}` }).end();
      else
        response.writeHead(400, { 'content-type': 'application/json' }).end('{"errors":[{"code":"DENIED"}]}');
    });
    await new Promise<void>((resolve) => uploads.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(uploads.address() as AddressInfo).port}`;
    try {
      const client = new RegistryClient({ registry: host, repository: 'acme/guest' }, undefined);
      const bytes = Buffer.from('a layer');
      const error = (await client
        .pushBlob(digestOf(bytes), { bytes })
        .catch((caught: unknown) => caught)) as Error;
      expect(error.message).toBe(`PUT http://${host}/v2/acme/guest/blobs/uploads/…: HTTP 400 (DENIED)`);
    } finally {
      uploads.close();
    }
  });

  it('a registry that cannot be reached is named in fixed words, without the system error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const client = new RegistryClient({ registry: host, repository: 'acme/guest' }, undefined);
    const error = (await client.getManifest('1').catch((caught: unknown) => caught)) as Error;
    expect(error.message).toBe(`cannot reach ${host} (connection refused)`);
  });
});

describe('a registry serves only the bytes it was asked for, or nothing is accepted', () => {
  const GOOD = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));
  const EVIL = Buffer.from(GOOD.map((byte, i) => (i >= 3000 ? byte ^ 0xff : byte)));
  const manifest = Buffer.from('{"schemaVersion":2,"layers":[]}');
  let lying: Server;
  let host: string;
  let ranges: (string | undefined)[] = [];

  beforeAll(async () => {
    // Repository acme/honest serves the real blob; every other one a blob whose tail is changed, and any
    // manifest asked for comes back as another manifest. acme/ignores-range answers a Range with the whole blob.
    lying = createServer((request, response) => {
      const path = request.url ?? '';
      if (path.includes('/manifests/')) {
        response.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
        response.end('{"schemaVersion":2,"layers":[{"evil":true}]}');
        return;
      }
      ranges.push(request.headers.range);
      const from = Number(/^bytes=(\d+)-$/.exec(request.headers.range ?? '')?.[1] ?? 0);
      const body = path.includes('/acme/honest/') ? GOOD : EVIL;
      if (from > 0 && !path.includes('/acme/ignores-range/')) {
        response.writeHead(206, { 'content-range': `bytes ${from}-${body.length - 1}/${body.length}` });
        response.end(body.subarray(from));
      } else {
        response.writeHead(200);
        response.end(body);
      }
    });
    await new Promise<void>((resolve) => lying.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(lying.address() as AddressInfo).port}`;
  });
  afterAll(() => lying?.close());

  it('refuses a manifest asked for by digest when the bytes served have another digest', async () => {
    const client = new RegistryClient({ registry: host, repository: 'acme/guest' }, undefined);
    const wanted = digestOf(manifest);
    await expect(client.getManifest(wanted)).rejects.toThrow(
      new RegExp(`^manifest ${wanted} arrived with digest sha256:[0-9a-f]{64}: refused$`),
    );
  });

  it('refuses a resumed blob download whose tail is not the blob, whether the registry honours the range or not', async () => {
    const digest = digestOf(GOOD);
    for (const repository of ['acme/tampered', 'acme/ignores-range']) {
      const client = new RegistryClient({ registry: host, repository }, undefined);
      const file = join(folder, `partial-${repository.replace('/', '-')}`);
      // An interrupted pull left the first 2000 bytes, which are right.
      writeFileSync(file, GOOD.subarray(0, 2000));
      ranges = [];
      const error = await client.fetchBlob(digest, file, 2000).catch((caught: unknown) => caught);
      expect(ranges).toEqual(['bytes=2000-']);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^blob ${digest} arrived with digest sha256:[0-9a-f]{64}: refused \\(corrupt or tampered\\)$`,
        ),
      );
    }
  });

  it('accepts a resumed download that completes the blob (the control)', async () => {
    const client = new RegistryClient({ registry: host, repository: 'acme/honest' }, undefined);
    const file = join(folder, 'partial-honest');
    writeFileSync(file, GOOD.subarray(0, 2000));
    await client.fetchBlob(digestOf(GOOD), file, 2000);
    expect(readFileSync(file).equals(GOOD)).toBe(true);
    expect(client.bytesReceived).toBe(GOOD.length - 2000);
  });
});

describe("an untrusted run's redirects: each target checked, credentials kept to their origin, five at most", () => {
  // 127.0.0.1 stands for the public internet here, and every other address (127.0.0.2 included) for what an
  // untrusted run must never reach: the same code, with the rule that decides which addresses are refused given.
  const publicHere = (address: string) => (address === '127.0.0.1' ? undefined : 'not public');
  const seen: { server: string; path: string; authorization: string | undefined; method: string }[] = [];
  const servers: Server[] = [];
  let origin = '';
  let otherOrigin = '';
  let privateOrigin = '';

  /** A server on `host` that records each request and answers with `answer(path)`: [status, location]. */
  async function recording(name: string, host: string, answer: (path: string) => [number, string?]) {
    const server = createServer((request, response) => {
      seen.push({
        server: name,
        path: request.url ?? '',
        authorization: request.headers.authorization,
        method: request.method ?? '',
      });
      const [status, location] = answer(request.url ?? '');
      response.writeHead(status, location === undefined ? {} : { location }).end(status === 200 ? 'ok' : '');
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    servers.push(server);
    return `http://${host}:${(server.address() as AddressInfo).port}`;
  }

  beforeAll(async () => {
    privateOrigin = await recording('private', '127.0.0.2', () => [200]);
    otherOrigin = await recording('other', '127.0.0.1', () => [200]);
    origin = await recording('registry', '127.0.0.1', (path) => {
      if (path === '/to-private') return [302, `${privateOrigin}/metadata`];
      if (path === '/to-other') return [307, `${otherOrigin}/token`];
      if (path === '/same-origin') return [301, '/moved'];
      if (path === '/see-other') return [303, '/moved'];
      if (path === '/to-file') return [302, 'file:///etc/passwd'];
      if (path.startsWith('/loop')) return [302, `/loop${path.length}`];
      return [200];
    });
  });
  afterAll(() => {
    for (const server of servers) server.close();
  });

  const get = (path: string, method = 'GET') =>
    guardedFetch(
      new URL(`${origin}${path}`),
      { method, headers: { authorization: 'Bearer s3cret' } },
      publicHere,
    );

  it('never follows a redirect to an address that is not public, asking it nothing', async () => {
    seen.length = 0;
    await expect(get('/to-private')).rejects.toMatchObject({ code: 'EVMPLAN_NOT_PUBLIC' });
    expect(seen.map((request) => request.server)).toEqual(['registry']);
    // The rule is what refused it: the private server answers anyone who asks.
    expect((await fetch(`${privateOrigin}/metadata`)).status).toBe(200);
  });

  it('checks an IPv6 literal before connecting, as written in a URL ([::1], [::ffff:127.0.0.2], [fe80::1])', async () => {
    // Node connects to an IP literal without a name lookup: the brackets must come off for the check to see it.
    for (const host of ['[::1]', '[::ffff:127.0.0.2]', '[fe80::1]'])
      await expect(
        guardedFetch(new URL(`http://${host}:9/v2/`), { method: 'GET', headers: {} }, publicHere),
      ).rejects.toMatchObject({
        code: 'EVMPLAN_NOT_PUBLIC',
        message: `${new URL(`http://${host}/`).hostname} is not a public address (loopback, private, link-local or reserved)`,
      });
  });

  it('drops the Authorization header when a redirect leaves the origin, keeps it within the origin', async () => {
    seen.length = 0;
    expect((await get('/to-other')).status).toBe(200);
    expect((await get('/same-origin')).status).toBe(200);
    expect(seen.map(({ server, path, authorization }) => [server, path, authorization])).toEqual([
      ['registry', '/to-other', 'Bearer s3cret'],
      ['other', '/token', undefined],
      ['registry', '/same-origin', 'Bearer s3cret'],
      ['registry', '/moved', 'Bearer s3cret'],
    ]);
  });

  it('follows five redirects at most, another scheme never, and a 303 with GET', async () => {
    seen.length = 0;
    await expect(get('/loop')).rejects.toThrow('more than 5 redirects');
    expect(seen).toHaveLength(6);
    await expect(get('/to-file')).rejects.toThrow('a redirect to another scheme');
    seen.length = 0;
    expect((await get('/see-other', 'HEAD')).status).toBe(200);
    expect(seen.map(({ path, method }) => [path, method])).toEqual([
      ['/see-other', 'HEAD'],
      ['/moved', 'GET'],
    ]);
  });
});

describe('the rules, on their own', () => {
  it('only public unicast addresses are public', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:169.254.169.254',
      '64:ff9b::a9fe:a9fe',
      '224.0.0.1',
      // 6to4 (2002:7f00:1:: carries 127.0.0.1), multicast, reserved and documentation ranges, site-local.
      '2002:7f00:1::1',
      '2002:a9fe:a9fe::1',
      'ff02::1',
      '240.0.0.1',
      '255.255.255.255',
      '198.18.0.1',
      '192.0.2.1',
      '192.0.0.8',
      'fec0::1',
      '100::1',
      '2001:db8::1',
    ])
      expect(addressProblem(address), address).toBeDefined();
    for (const address of ['140.82.112.34', '2606:50c0:8000::154', '8.8.8.8'])
      expect(addressProblem(address), address).toBeUndefined();
  });

  it('a name is refused when any one of its addresses is (DNS that answers a public and a private address)', () => {
    expect(
      namedAddressesAllowed(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'], addressProblem),
    ).toBe(true);
    expect(namedAddressesAllowed(['93.184.215.14', '169.254.169.254'], addressProblem)).toBe(false);
    expect(namedAddressesAllowed(['127.0.0.1', '93.184.215.14'], addressProblem)).toBe(false);
    expect(namedAddressesAllowed([], addressProblem)).toBe(false);
  });

  it("a realm is the registry's own origin or a known public token service", () => {
    const ok = (registry: string, realm: string) => realmProblem(new URL(registry), new URL(realm));
    expect(ok('https://ghcr.io/v2/org/guest', 'https://ghcr.io/token')).toBeUndefined();
    expect(ok('https://registry-1.docker.io/v2/library/x', 'https://auth.docker.io/token')).toBeUndefined();
    expect(ok('https://ghcr.io/v2/org/guest', 'https://auth.docker.io/token')).toBeDefined();
    expect(ok('https://ghcr.io/v2/org/guest', 'http://ghcr.io/token')).toBeDefined();
    expect(ok('https://ghcr.io/v2/org/guest', 'https://ghcr.io:8443/token')).toBeDefined();
    expect(ok('https://registry-1.docker.io/v2/x', 'http://auth.docker.io/token')).toBeDefined();
    expect(ok('http://127.0.0.1:5000/v2/x', 'http://127.0.0.1:5001/token')).toBeDefined();
    expect(ok('https://ghcr.io/v2/org/guest', 'https://user:pw@ghcr.io/token')).toBeDefined();
    // A user name alone, or a password alone, is a login in the URL all the same.
    expect(ok('https://ghcr.io/v2/org/guest', 'https://user@ghcr.io/token')).toBeDefined();
    expect(ok('https://ghcr.io/v2/org/guest', 'https://:pw@ghcr.io/token')).toBeDefined();
    // A known token service only on its standard https port: another port is another service.
    expect(ok('https://registry-1.docker.io/v2/x', 'https://auth.docker.io:8443/token')).toBeDefined();
  });
});

describe("a bearer login: what the registry's own token service is asked, and what the registry then gets", () => {
  const requests: { path: string; authorization: string | undefined }[] = [];
  let token = 'tok-123';
  let host = '';
  let server: Server;
  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push({ path: request.url ?? '', authorization: request.headers.authorization });
      if ((request.url ?? '').startsWith('/token')) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
      } else if (request.headers.authorization !== `Bearer ${token}`) {
        response
          .writeHead(401, {
            'www-authenticate': `Bearer realm="http://${host}/token",service="registry.test"`,
          })
          .end();
      } else response.writeHead(200, { 'content-type': MEDIA.manifest }).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('asks the realm for this repository, pull and push, with the login; then sends the registry the token alone', async () => {
    requests.length = 0;
    const client = new RegistryClient(
      { registry: host, repository: 'acme/guest' },
      { username: 'ci', password: 'pw' },
    );
    expect((await client.getManifest('1')).bytes.toString()).toBe('{}');
    expect(requests).toEqual([
      { path: '/v2/acme/guest/manifests/1', authorization: undefined },
      {
        path: '/token?service=registry.test&scope=repository%3Aacme%2Fguest%3Apull%2Cpush',
        authorization: `Basic ${Buffer.from('ci:pw').toString('base64')}`,
      },
      { path: '/v2/acme/guest/manifests/1', authorization: 'Bearer tok-123' },
    ]);
  });

  it('refuses a token that is not one printable word (it would go into a header), asking the registry nothing more', async () => {
    for (const bad of ['two words', 'tab\there', 'caf\u00e9']) {
      token = bad;
      requests.length = 0;
      const client = new RegistryClient({ registry: host, repository: 'acme/guest' }, undefined);
      await expect(client.getManifest('1')).rejects.toThrow(`${host} gave no token`);
      expect(requests.map((request) => request.path.split('?')[0])).toEqual([
        '/v2/acme/guest/manifests/1',
        '/token',
      ]);
    }
    token = 'tok-123';
  });
});

describe("a registry's manifest names blobs only by a real sha256", () => {
  it('refuses a layer or config digest that is not sha256 and 64 hex digits: the blob store is keyed by it', () => {
    const descriptor = (digest: string) => ({ mediaType: MEDIA.kernel, digest, size: 1 });
    const manifest = (digest: string) => ({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      artifactType: GUEST_ARTIFACT_TYPE,
      config: descriptor(`sha256:${'a'.repeat(64)}`),
      layers: [descriptor(digest)],
    });
    expect(GuestManifestSchema.safeParse(manifest(`sha256:${'b'.repeat(64)}`)).success).toBe(true);
    for (const digest of [
      'sha256:../../../../home/runner/.bashrc',
      `sha256:${'b'.repeat(63)}/`,
      `sha256:${'B'.repeat(64)}`,
      `sha512:${'b'.repeat(128)}`,
      `sha256:${'b'.repeat(64)}\n`,
      `sha256:${'b'.repeat(65)}`,
    ]) {
      expect([digest, GuestManifestSchema.safeParse(manifest(digest)).success]).toEqual([digest, false]);
    }
  });
});
