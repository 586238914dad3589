import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImageReference } from './reference.js';

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
 * bearer token from its realm with the credentials (how GHCR takes a GitHub token).
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
  ) {}

  private get base(): string {
    const host = this.reference.registry;
    const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
    return `${loopback ? 'http' : 'https'}://${host}/v2/${this.reference.repository}`;
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
    const send = () =>
      fetch(url, {
        method,
        ...init,
        headers: {
          ...init.headers,
          ...(this.authorization === undefined ? {} : { authorization: this.authorization }),
        },
      } as RequestInit).catch((error: Error) => {
        const cause = (error.cause as Error | undefined)?.message ?? error.message;
        throw new RegistryError(`cannot reach ${this.reference.registry} (${cause})`, 0, 'UNREACHABLE');
      });
    let response = await send();
    if (response.status === 401 && this.authorization === undefined) {
      this.authorization = await this.answerChallenge(response.headers.get('www-authenticate') ?? '');
      await response.body?.cancel();
      if (init.body !== undefined && !(init.body instanceof Buffer))
        throw new RegistryError('authentication needed mid-upload', 401, 'UNAUTHORIZED');
      response = await send();
    }
    if (ok.includes(response.status)) return response;
    throw await registryError(method, url, response);
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
        `${this.reference.registry} asked for authentication vmplan does not speak: ${challenge}`,
        401,
        'UNAUTHORIZED',
      );
    const realm = new URL(params.realm);
    if (params.service !== undefined) realm.searchParams.set('service', params.service);
    realm.searchParams.set('scope', params.scope ?? `repository:${this.reference.repository}:pull,push`);
    const response = await fetch(realm, basic === undefined ? {} : { headers: { authorization: basic } });
    if (!response.ok)
      throw new RegistryError(
        `${realm.host} refused a token (HTTP ${response.status})`,
        response.status,
        'UNAUTHORIZED',
      );
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (token === undefined)
      throw new RegistryError(`${realm.host} gave no token`, response.status, 'UNAUTHORIZED');
    return `Bearer ${token}`;
  }
}

/** A file's sha256 digest, streamed. */
export async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  if (statSync(file).size > 0) for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** A RegistryError from a failed response, with the spec's error code and message when the body has them. */
async function registryError(method: string, url: string, response: Response): Promise<RegistryError> {
  let code: string | undefined;
  let detail = '';
  try {
    const body = (await response.json()) as { errors?: { code?: string; message?: string }[] };
    code = body.errors?.[0]?.code;
    detail = body.errors?.map((error) => `${error.code}: ${error.message}`).join('; ') ?? '';
  } catch {
    // no JSON body (HEAD, proxies)
  }
  return new RegistryError(
    `${method} ${url}: HTTP ${response.status}${detail === '' ? '' : ` (${detail})`}`,
    response.status,
    code,
  );
}
