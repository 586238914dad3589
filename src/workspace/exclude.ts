import picomatch from 'picomatch';

/**
 * Gitignore-style exclusion: `name` or `name/` matches that name at any depth (`/` = folders only);
 * a pattern containing a slash (`build/out`, `/dist`) is anchored at the root; globs are allowed.
 */
export function createExcluder(
  patterns: readonly string[],
): (relativePath: string, isDirectory: boolean) => boolean {
  const rules = patterns.map((raw) => {
    const directoryOnly = raw.endsWith('/');
    const pattern = raw.replace(/\/+$/, '').replace(/^\//, '');
    const anchored = raw.replace(/\/+$/, '').includes('/');
    return { directoryOnly, anchored, matches: picomatch(pattern, { dot: true }) };
  });
  return (relativePath, isDirectory) => {
    const name = relativePath.slice(relativePath.lastIndexOf('/') + 1);
    return rules.some(
      (rule) => (!rule.directoryOnly || isDirectory) && rule.matches(rule.anchored ? relativePath : name),
    );
  };
}
