import { InputError } from '../errors.js';

/** An image reference: `ghcr.io/org/guest:1.2`, `…@sha256:…`, or both (the digest wins; the tag is kept for people). */
export interface ImageReference {
  /** `ghcr.io`, `127.0.0.1:5000`. */
  registry: string;
  /** `org/guest`. */
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Parses an image reference as the distribution spec names them. The registry must be explicit (a host with a
 * dot or a port, or localhost): vmplan never guesses Docker Hub. `what` names the reference in errors.
 */
export function parseReference(text: string, what = 'image reference'): ImageReference {
  const fail = (why: string): never => {
    throw new InputError(
      `${what} "${text}": ${why} (expected e.g. ghcr.io/org/guest:1.2 or ghcr.io/org/guest@sha256:…)`,
    );
  };
  let rest = text.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail(`"${digest}" is not a sha256 digest`);
  }
  const slash = rest.indexOf('/');
  if (slash === -1) fail('no registry host');
  const registry = rest.slice(0, slash);
  if (!/[.:]/.test(registry) && registry !== 'localhost')
    fail(`"${registry}" is not a registry host (name it: ghcr.io/…)`);
  let path = rest.slice(slash + 1);
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon !== -1) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) fail(`"${tag}" is not a valid tag`);
  }
  if (path === '' || !path.split('/').every((part) => COMPONENT.test(part)))
    fail(`"${path}" is not a repository name (lower-case letters, digits, . _ - and /)`);
  if (tag === undefined && digest === undefined) fail('no tag or digest');
  return { registry, repository: path, tag, digest };
}

/** The reference as text: `registry/repository[:tag][@digest]`. */
export function formatReference(reference: ImageReference): string {
  return `${reference.registry}/${reference.repository}${reference.tag === undefined ? '' : `:${reference.tag}`}${reference.digest === undefined ? '' : `@${reference.digest}`}`;
}

/** Why a text is not an image reference, or undefined when it is one (for schemas, which must not throw). */
export function referenceProblem(text: string): string | undefined {
  try {
    parseReference(text);
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^image reference "[^"]*": /, '');
  }
}
