import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImageReference } from './reference.js';
import { guardedFetch } from './transport.js';

/** A registry's own error (the distribution spec's codes: BLOB_UNKNOWN, MANIFEST_UNKNOWN, UNAUTHORIZED, DENIED, …). */
export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** A user name and password (or token) for a registry. */
export interface Credentials {
  username: string;
  password: string;
}

/** What a manifest fetch gave: its bytes exactly as served, their digest and media type. */
export interface FetchedManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** Media types a manifest is asked for in (OCI first). */
const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];

/** sha256 digest of bytes, as the spec writes it. */
export function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * A client for one repository of a registry, following the distribution spec: blobs pushed with POST then PUT
 * (skipped when HEAD finds them), manifests PUT by tag or digest; pulls verify every digest. Loopback registries
 * are spoken to over http, everything else over https. Authenticates on the registry's challenge: basic, or a
 * bearer token from its realm with the credentials (how GHCR takes a GitHub token). The realm must be on the
 * registry's own origin or a known token service (`realmProblem`). With `untrusted`, it connects only to public
 * addresses (the registry, its realm and every redirect; see `guardedFetch`). Errors never quote a registry's
 * body: a status number and a distribution-spec error code at most.
 */
export class RegistryClient {
  private authorization: string | undefined;
  /** Bytes of blobs actually sent (skipped blobs send none): what a second push saved. */
  bytesSent = 0;
  /** Bytes of blobs actually received. */
  bytesReceived = 0;

  constructor(
    private readonly reference: Pick<ImageReference, 'registry' | 'repository'>,
    private readonly credentials: Credentials | undefined,
    private readonly options: { untrusted?: boolean } = {},
  ) {}

  private get base(): string {
    return registryBase(this.reference);
  }

  /** Whether the registry has a blob. */
  async hasBlob(digest: string): Promise<boolean> {
    const response = await this.request('HEAD', `/blobs/${digest}`, {}, [200, 404]);
    return response.status === 200;
  }

  /** Uploads a blob unless the registry has it; returns whether it was sent. */
  async pushBlob(
    digest: string,
    body: { bytes: Buffer } | { file: string; start: number; size: number },
  ): Promise<boolean> {
    if (await this.hasBlob(digest)) return false;
    const started = await this.request('POST', '/blobs/uploads/', {}, [202]);
    const location = started.headers.get('location');
    if (location === null) throw new RegistryError('the registry gave no upload location', 202, undefined);
    const url = new URL(location, this.base);
    url.searchParams.set('digest', digest);
    const size = 'bytes' in body ? body.bytes.length : body.size;
    const payload =
      'bytes' in body
        ? body.bytes
        : (Readable.toWeb(
            createReadStream(body.file, { start: body.start, end: body.start + body.size - 1 }),
          ) as ReadableStream);
    await this.request(
      'PUT',
      url.toString(),
      {
        body: payload,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
        duplex: 'half',
      },
      [201],
    );
    this.bytesSent += size;
    return true;
  }

  /** Stores a manifest under a tag or digest; returns its digest. */
  async putManifest(reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    await this.request(
      'PUT',
      `/manifests/${reference}`,
      { body: bytes, headers: { 'content-type': mediaType } },
      [201],
    );
    return digestOf(bytes);
  }

  /** Fetches a manifest by tag or digest; a digest reference is checked against the bytes served. */
  async getManifest(reference: string): Promise<FetchedManifest> {
    const response = await this.request(
      'GET',
      `/manifests/${reference}`,
      { headers: { accept: MANIFEST_TYPES.join(', ') } },
      [200],
    );
    const bytes = Buffer.from(await response.arrayBuffer());
    const digest = digestOf(bytes);
    if (reference.startsWith('sha256:') && digest !== reference)
      throw new RegistryError(
        `manifest ${reference} arrived with digest ${digest}: refused`,
        200,
        'DIGEST_INVALID',
      );
    return { digest, mediaType: response.headers.get('content-type') ?? '', bytes };
  }

  /**
   * Downloads a blob into `file`, continuing after `have` bytes already there (an interrupted pull) with a Range
   * request when the registry honours it, then checks the whole file's digest.
   */
  async fetchBlob(digest: string, file: string, have = 0): Promise<void> {
    const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-` } : {};
    const response = await this.request('GET', `/blobs/${digest}`, { headers }, [200, 206]);
    const resumed = response.status === 206;
    if (response.body === null)
      throw new RegistryError(`blob ${digest} came without a body`, response.status, undefined);
    let received = 0;
    const counter = new TransformStream<Uint8Array, Uint8Array>({
      transform: (chunk, controller) => {
        received += chunk.length;
        controller.enqueue(chunk);
      },
    });
    await pipeline(
      Readable.fromWeb(response.body.pipeThrough(counter) as never),
      createWriteStream(file, resumed ? { flags: 'a' } : { flags: 'w' }),
    );
    this.bytesReceived += received;
    const actual = await fileDigest(file);
    if (actual !== digest)
      throw new RegistryError(
        `blob ${digest} arrived with digest ${actual}: refused (corrupt or tampered)`,
        200,
        'DIGEST_INVALID',
      );
  }

  /** One request, authenticating once on a 401 challenge; a status not in `ok` is a RegistryError. */
  private async request(
    method: string,
    path: string,
    init: { body?: Buffer | ReadableStream; headers?: Record<string, string>; duplex?: 'half' },
    ok: number[],
  ): Promise<Response> {
    const url = path.startsWith('http') ? path : `${this.base}${path}`;
    const what = path.startsWith('http') ? `${this.base}/blobs/uploads/…` : url;
    const headers = {
      ...init.headers,
      ...(this.authorization === undefined ? {} : { authorization: this.authorization }),
    };
    let response = await this.send(new URL(url), { method, ...init, headers });
    if (response.status === 401 && this.authorization === undefined) {
      this.authorization = await this.answerChallenge(response.headers.get('www-authenticate') ?? '');
      await response.body?.cancel();
      if (init.body !== undefined && !(init.body instanceof Buffer))
        throw new RegistryError('authentication needed mid-upload', 401, 'UNAUTHORIZED');
      response = await this.send(new URL(url), {
        method,
        ...init,
        headers: { ...headers, authorization: this.authorization },
      });
    }
    if (ok.includes(response.status)) return response;
    throw await registryError(method, what, response);
  }

  /** fetch, or for an untrusted run the guarded fetch (public addresses only); network failures in fixed words. */
  private async send(
    url: URL,
    init: {
      method: string;
      body?: Buffer | ReadableStream;
      headers: Record<string, string>;
      duplex?: 'half';
    },
    host = this.reference.registry,
  ): Promise<Response> {
    try {
      if (!this.options.untrusted) return await fetch(url, init as RequestInit);
      if (init.body !== undefined)
        throw new RegistryError('an untrusted run never uploads to a registry', 0, 'DENIED');
      return await guardedFetch(url, { method: init.method, headers: init.headers });
    } catch (error) {
      if (error instanceof RegistryError) throw error;
      throw new RegistryError(`cannot reach ${host} (${networkWords(error)})`, 0, 'UNREACHABLE');
    }
  }

  /** The Authorization header a challenge asks for: basic with the credentials, or a bearer token from the realm. */
  private async answerChallenge(challenge: string): Promise<string> {
    const basic =
      this.credentials === undefined
        ? undefined
        : `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
    if (/^basic/i.test(challenge)) {
      if (basic === undefined)
        throw new RegistryError(
          `${this.reference.registry} needs a login (no credentials found)`,
          401,
          'UNAUTHORIZED',
        );
      return basic;
    }
    const params = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1]!, match[2]!]),
    );
    if (!/^bearer/i.test(challenge) || params.realm === undefined)
      throw new RegistryError(
        `${this.reference.registry} asked for an authentication scheme vmplan does not speak (basic and bearer only)`,
        401,
        'UNAUTHORIZED',
      );
    let realm: URL;
    try {
      realm = new URL(params.realm);
    } catch {
      throw new RegistryError(
        `${this.reference.registry} named a token service that is not a URL`,
        401,
        'UNAUTHORIZED',
      );
    }
    const problem = realmProblem(new URL(this.base), realm);
    if (problem !== undefined)
      throw new RegistryError(`${this.reference.registry} ${problem}: refused`, 401, 'UNAUTHORIZED');
    if (params.service !== undefined) realm.searchParams.set('service', params.service);
    realm.searchParams.set('scope', params.scope ?? `repository:${this.reference.repository}:pull,push`);
    const response = await this.send(
      realm,
      { method: 'GET', headers: basic === undefined ? {} : { authorization: basic } },
      realm.host,
    );
    if (!response.ok) {
      await response.body?.cancel();
      throw new RegistryError(
        `${realm.host} refused a token (HTTP ${response.status})`,
        response.status,
        'UNAUTHORIZED',
      );
    }
    let token: unknown;
    try {
      const body = (await response.json()) as { token?: unknown; access_token?: unknown };
      token = body.token ?? body.access_token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || token === '' || /[^\x21-\x7e]/.test(token))
      throw new RegistryError(`${realm.host} gave no token`, response.status, 'UNAUTHORIZED');
    return `Bearer ${token}`;
  }
}

/** The URL of a repository's API: plain http for a loopback registry only, https for every other. */
export function registryBase(reference: Pick<ImageReference, 'registry' | 'repository'>): string {
  const host = reference.registry;
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
  return `${loopback ? 'http' : 'https'}://${host}/v2/${reference.repository}`;
}

/**
 * Token services that answer for a registry on another host, the few public ones that need it (Docker Hub's).
 * Everything else must keep its token service on its own origin, as GHCR (`ghcr.io/token`), Quay, GCR, ECR and
 * Harbor do.
 */
export const KNOWN_TOKEN_SERVICES: Readonly<Record<string, readonly string[]>> = {
  'docker.io': ['auth.docker.io'],
  'registry-1.docker.io': ['auth.docker.io'],
  'registry.gitlab.com': ['gitlab.com'],
};

/**
 * Why a registry's bearer realm must not be asked for a token, or undefined: it must be on the registry's own
 * origin, or be the https token service `KNOWN_TOKEN_SERVICES` lists for that registry. A realm elsewhere would
 * make the runner send requests (and credentials) wherever a registry says.
 */
export function realmProblem(registry: URL, realm: URL): string | undefined {
  if (realm.username !== '' || realm.password !== '')
    return 'named a token service with a user name in its URL';
  if (realm.origin === registry.origin) return undefined;
  const known = KNOWN_TOKEN_SERVICES[registry.host] ?? [];
  if (realm.protocol === 'https:' && realm.port === '' && known.includes(realm.hostname)) return undefined;
  return "named a token service on another host (a realm must be on the registry's own host, or a known public token service)";
}

/** A network failure in fixed words: never the remote address, port or message. */
function networkWords(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const code = (error as { code?: unknown }).code ?? cause?.code;
  switch (code) {
    case 'EVMPLAN_NOT_PUBLIC':
      return 'it is not a public address (loopback, private, link-local or reserved), and an untrusted run connects only to public addresses';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'name not found';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'timed out';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    default:
      return typeof code === 'string' && /^(ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED)/.test(code)
        ? 'TLS certificate not accepted'
        : 'network error';
  }
}

/** A file's sha256 digest, streamed. */
export async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  if (statSync(file).size > 0) for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** The distribution spec's error codes: the only words of a registry's error body an error repeats. */
const SPEC_CODES = new Set([
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
  'TOOMANYREQUESTS',
]);

/**
 * A RegistryError from a failed response: the status number and the spec's error code when the body has a
 * known one. The body's messages are not repeated (a registry's words are input, not a diagnosis).
 */
async function registryError(method: string, what: string, response: Response): Promise<RegistryError> {
  let code: string | undefined;
  try {
    const body = (await response.json()) as { errors?: { code?: unknown }[] };
    const first = body.errors?.[0]?.code;
    code = typeof first === 'string' && SPEC_CODES.has(first) ? first : undefined;
  } catch {
    // no JSON body (HEAD, proxies)
  }
  return new RegistryError(
    `${method} ${what}: HTTP ${response.status}${code === undefined ? '' : ` (${code})`}`,
    response.status,
    code,
  );
}
