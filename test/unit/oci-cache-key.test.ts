// An oci image's cache entry is keyed by its manifest digest: the same bytes share one entry whatever the
// reference says (what `vmplan image pull REF` relies on), and a tag that moves gets a new entry.
import { describe, expect, it } from 'vitest';
import { imageCacheKey, ociCacheKey } from '../../src/images/cache.js';
import { buildPlan } from '../../src/plan/build.js';
import type { PrepareNode } from '../../src/plan/schema.js';
import { context, jobs } from '../support/jobs.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

/** The prepare node of an oci image given as `oci`, with a tag resolved to `digest`. */
function ociNode(oci: string, digest: string): PrepareNode {
  const plan = buildPlan(
    jobs(
      `version: 1\nimages:\n  g: { arch: arm64, oci: "${oci}" }\njobs:\n  t: { image: g, executor: qemu, run: "true" }\n`,
    ),
    context({ ociDigests: { [oci]: digest } }),
  );
  return plan.nodes.find((node): node is PrepareNode => node.kind === 'prepare')!;
}

describe('the cache key of an oci image', () => {
  it('follows the digest, not the reference: a moved tag is a new entry, the same bytes one entry', async () => {
    const tagged = (await imageCacheKey(ociNode('r.example/acme/g:1', A), '/nowhere')).key;
    const moved = (await imageCacheKey(ociNode('r.example/acme/g:1', B), '/nowhere')).key;
    const pinned = (await imageCacheKey(ociNode(`r.example/acme/g@${A}`, A), '/nowhere')).key;
    expect(moved).not.toBe(tagged);
    expect(pinned).toBe(tagged);
    expect(tagged).toBe(ociCacheKey(A));
  });
});
