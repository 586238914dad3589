// semver comes with the dev tools (npm's own range rules, in the lockfile through many of them) but without types:
// the few functions test/unit/node-versions.test.ts uses.
declare module 'semver' {
  /** Whether a version is in a range. */
  export function satisfies(version: string, range: string): boolean;
  /** Whether every version of `sub` is in `superset`. */
  export function subset(sub: string, superset: string): boolean;
  /** The range normalized, or null when it is not one. */
  export function validRange(range: string): string | null;
  const semver: { satisfies: typeof satisfies; subset: typeof subset; validRange: typeof validRange };
  export default semver;
}
