import type { JobsFile } from '../config/schema.js';
import { InputError } from '../errors.js';
import { RegistryClient, RegistryError } from '../oci/client.js';
import { credentialsFor } from '../oci/credentials.js';
import { parseReference } from '../oci/reference.js';

/**
 * Resolves the `oci:` image references that name only a tag to the digests they point at now, once per plan, so
 * the plan names exact bytes (`ociDigests` of PlanContext). References with a digest need no registry. An
 * untrusted run asks anonymously: a jobs file of someone else's never gets the runner's registry credentials
 * (the same rule as pulling the image), and only over public addresses (`RegistryClient`'s `untrusted`).
 */
export async function resolveOciTags(
  config: JobsFile,
  env: NodeJS.ProcessEnv,
  trust: { trusted: boolean },
): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const [name, image] of Object.entries(config.images ?? {})) {
    if (!('oci' in image) || image.oci.includes('@') || digests[image.oci] !== undefined) continue;
    const reference = parseReference(image.oci, `images.${name}.oci`);
    const client = new RegistryClient(
      reference,
      trust.trusted ? credentialsFor(reference.registry, env) : undefined,
      { untrusted: !trust.trusted },
    );
    try {
      digests[image.oci] = (await client.getManifest(reference.tag!)).digest;
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      const anonymous = trust.trusted
        ? ''
        : ' (an untrusted run asks the registry anonymously, and pulls anonymously too: the package must be public for runs of pull requests from forks)';
      throw new InputError(
        `images.${name}.oci: cannot resolve ${image.oci} to a digest: ${error.message}${anonymous}`,
      );
    }
  }
  return digests;
}
