import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { RegistryClient } from '../../oci/client.js';
import { credentialsFor } from '../../oci/credentials.js';
import { pullGuestImage, pushGuestImage, type Transfer } from '../../oci/guest-image.js';
import { formatReference, parseReference } from '../../oci/reference.js';
import { formatBytes } from '../../util/bytes.js';
import { defaultCacheDir } from '../../util/state-dir.js';
import { type CliIo, EXIT } from '../io.js';

/** A transfer, for people: `pushed 2 of 9 blobs (64.0 MB) in 3.1 s`. */
function transferLine(verb: string, transfer: Transfer, ms: number): string {
  return `${verb} ${transfer.moved} of ${transfer.blobs} blob(s) (${formatBytes(transfer.bytes)}) in ${(ms / 1000).toFixed(1)} s`;
}

/** `vmplan image push DIR REF`: pushes a guest image folder (kernel, initrd, disk) to a registry; prints its digest. */
export async function imagePush(args: string[], io: CliIo): Promise<number> {
  const [dir, ref, ...extra] = args;
  if (dir === undefined || ref === undefined || extra.length > 0)
    throw new InputError(
      'usage: vmplan image push DIR REF (a folder with kernel, initrd and maybe disk; e.g. ghcr.io/org/guest:1.2)',
    );
  const folder = resolve(io.cwd, dir);
  for (const name of ['kernel', 'initrd'])
    if (!existsSync(join(folder, name)) || !statSync(join(folder, name)).isFile())
      throw new InputError(
        `vmplan image push: ${dir} has no ${name} (expected a folder made by vmplan image build)`,
      );
  const reference = parseReference(ref);
  if (reference.digest !== undefined)
    throw new InputError('vmplan image push: push to a tag; the digest is what the push prints');
  const client = new RegistryClient(reference, credentialsFor(reference.registry, io.env));
  const started = Date.now();
  const pushed = await pushGuestImage(client, folder, reference.tag);
  io.stderr(`${transferLine('pushed', pushed, Date.now() - started)}\n`);
  io.stdout(`${formatReference({ ...reference, digest: pushed.digest })}\n`);
  return EXIT.ok;
}

/** `vmplan image pull REF --out DIR`: pulls a guest image, verified, resuming an interrupted pull. */
export async function imagePull(
  args: string[],
  out: string | undefined,
  cacheDir: string | undefined,
  io: CliIo,
): Promise<number> {
  const [ref, ...extra] = args;
  if (ref === undefined || extra.length > 0 || out === undefined)
    throw new InputError('usage: vmplan image pull REF --out DIR');
  const reference = parseReference(ref);
  const client = new RegistryClient(reference, credentialsFor(reference.registry, io.env));
  const store = join(resolve(io.cwd, cacheDir ?? defaultCacheDir(io.env)), 'oci-blobs');
  const started = Date.now();
  const pulled = await pullGuestImage(
    client,
    reference.digest ?? reference.tag!,
    resolve(io.cwd, out),
    store,
  );
  io.stderr(`${transferLine('pulled', pulled, Date.now() - started)}\n`);
  io.stdout(`${formatReference({ ...reference, digest: pulled.digest })}\n`);
  return EXIT.ok;
}
