import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';

const ACCOUNT = 'devstoreaccount1';
// The well-known key of Azurite's development account (public; not a secret).
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const CONTAINER = 'actions-results';

/** An artifact the fake holds. */
export interface StoredArtifact {
  id: string;
  name: string;
  runBackendId: string;
  jobBackendId: string;
  blob: string;
  size: string;
  hash: string;
  mimeType: string | undefined;
  finalized: boolean;
}

/**
 * A small fake of GitHub's artifact service (the Twirp API @actions/artifact speaks), storing the bytes in a real
 * Azurite blob service through SAS URLs — as GitHub does with Azure. Names are unique per workflow run (409).
 */
export class TwirpArtifacts {
  readonly artifacts: StoredArtifact[] = [];
  private server: Server | undefined;
  private nextId = 1000;
  private readonly credential = new StorageSharedKeyCredential(ACCOUNT, KEY);

  constructor(private readonly azuriteUrl: string) {}

  /** Starts the fake; returns its origin (for ACTIONS_RESULTS_URL). */
  async start(): Promise<string> {
    const service = new BlobServiceClient(`${this.azuriteUrl}/${ACCOUNT}`, this.credential);
    await service.getContainerClient(CONTAINER).createIfNotExists();
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** A token whose scp claim names the run and job backend ids (decoded by @actions/artifact, not verified). */
  static token(runBackendId: string, jobBackendId: string): string {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const header = part({ alg: 'HS256', typ: 'JWT' });
    const payload = part({ scp: `Actions.ExampleScope Actions.Results:${runBackendId}:${jobBackendId}` });
    const signature = createHash('sha256').update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${signature}`;
  }

  /** A signed download URL for an artifact (what GitHub's API redirects to). */
  downloadUrl(artifact: StoredArtifact): string {
    return this.sasUrl(artifact.blob, 'r', true);
  }

  private sasUrl(blob: string, permissions: string, download = false): string {
    const sas = generateBlobSASQueryParameters(
      {
        containerName: CONTAINER,
        blobName: blob,
        permissions: BlobSASPermissions.parse(permissions),
        expiresOn: new Date(Date.now() + 3600_000),
        ...(download ? { contentDisposition: `attachment; filename=${blob.split('/').pop()}` } : {}),
      },
      this.credential,
    );
    return `${this.azuriteUrl}/${ACCOUNT}/${CONTAINER}/${blob}?${sas.toString()}`;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of request) body += chunk;
    const method = /\/twirp\/github\.actions\.results\.api\.v1\.ArtifactService\/(\w+)$/.exec(
      request.url ?? '',
    )?.[1];
    const reply = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(value));
    };
    const input = JSON.parse(body || '{}') as Record<string, string>;
    const run = input.workflow_run_backend_id ?? '';
    const job = input.workflow_job_run_backend_id ?? '';
    switch (method) {
      case 'CreateArtifact': {
        if (
          this.artifacts.some((artifact) => artifact.runBackendId === run && artifact.name === input.name)
        ) {
          return reply(409, {
            code: 'already_exists',
            msg: `an artifact with this name already exists on the workflow run`,
          });
        }
        const name = input.name!;
        const isZip =
          !(input.mime_type ?? '').includes('json') && !(input.mime_type ?? '').startsWith('text/');
        const blob = `${run}/${job}/${name}${isZip && !name.endsWith('.zip') ? '.zip' : ''}`;
        this.artifacts.push({
          id: String(this.nextId++),
          name,
          runBackendId: run,
          jobBackendId: job,
          blob,
          size: '0',
          hash: '',
          mimeType: input.mime_type,
          finalized: false,
        });
        return reply(200, { ok: true, signed_upload_url: this.sasUrl(blob, 'cw') });
      }
      case 'FinalizeArtifact': {
        const artifact = this.artifacts.find((a) => a.runBackendId === run && a.name === input.name);
        if (artifact === undefined) return reply(404, { code: 'not_found', msg: 'no such artifact' });
        Object.assign(artifact, { size: input.size, hash: input.hash, finalized: true });
        return reply(200, { ok: true, artifact_id: artifact.id });
      }
      case 'ListArtifacts': {
        const found = this.artifacts.filter(
          (a) =>
            a.finalized &&
            a.runBackendId === run &&
            (input.name_filter === undefined || a.name === input.name_filter) &&
            (input.id_filter === undefined || a.id === String(input.id_filter)),
        );
        return reply(200, {
          artifacts: found.map((a) => ({
            workflow_run_backend_id: a.runBackendId,
            workflow_job_run_backend_id: a.jobBackendId,
            database_id: a.id,
            name: a.name,
            size: a.size,
            created_at: new Date().toISOString(),
            digest: a.hash,
          })),
        });
      }
      case 'GetSignedArtifactURL': {
        const artifact = this.artifacts.find((a) => a.runBackendId === run && a.name === input.name);
        if (artifact === undefined) return reply(404, { code: 'not_found', msg: 'no such artifact' });
        return reply(200, { signed_url: this.sasUrl(artifact.blob, 'r', true) });
      }
      default:
        return reply(404, { code: 'bad_route', msg: `no method ${method}` });
    }
  }
}
