// Synthetic jobs files for the benchmarks.
import { stringify } from 'yaml';

/** A jobs file shaped like a large monorepo: 3 images, each job needing up to 3 earlier jobs. */
export function syntheticJobsFile(count: number): string {
  const jobs: Record<string, unknown> = {};
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let i = 0; i < count; i++) {
    const needs = new Set<string>();
    for (let k = 0; k < 3 && i > 0; k++) if (random() < 0.5) needs.add(`job-${Math.floor(random() * i)}`);
    jobs[`job-${i}`] = {
      run: `make -C packages/p${i} test`,
      image: ['debian', 'alpine', 'fedora'][i % 3],
      ...(needs.size > 0 ? { needs: [...needs] } : {}),
      env: { PACKAGE: `p${i}`, LEVEL: i % 5 },
      ...(i % 4 === 0 ? { paths: [`packages/p${i}/**`, '!**/*.md'] } : {}),
      ...(i % 7 === 0 ? { secrets: ['NPM_TOKEN'] } : {}),
    };
  }
  return stringify({
    version: 1,
    images: {
      debian: { arch: 'arm64', build: { run: './images/debian.sh', inputs: ['images/**'] } },
      alpine: { arch: 'arm64', kernel: 'images/alpine/Image', initrd: 'images/alpine/initrd' },
      fedora: { arch: 'arm64', nix: '.#fedora' },
    },
    defaults: { 'timeout-minutes': 30 },
    jobs,
  });
}

/** A monorepo of `packages` packages, each with build, unit and integration (needing build) and lint. */
export function monorepoJobsFile(packages: number): string {
  const jobs: Record<string, unknown> = {};
  for (let i = 0; i < packages; i++) {
    jobs[`p${i}-build`] = { run: `make -C packages/p${i}` };
    jobs[`p${i}-unit`] = { run: `make -C packages/p${i} test`, needs: `p${i}-build` };
    jobs[`p${i}-integration`] = { run: `make -C packages/p${i} it`, needs: `p${i}-build` };
    jobs[`p${i}-lint`] = { run: `make -C packages/p${i} lint` };
  }
  return stringify({
    version: 1,
    images: { debian: { arch: 'arm64', nix: '.#debian' } },
    defaults: { image: 'debian' },
    jobs,
  });
}
