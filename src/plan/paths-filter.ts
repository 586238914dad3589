import picomatch from 'picomatch';

/**
 * GitHub-style `paths` filtering: a file counts when the last pattern that matches it is positive
 * (patterns starting with "!" exclude). Returns the first changed file that counts, or undefined.
 */
export function firstMatchingFile(patterns: readonly string[], files: readonly string[]): string | undefined {
  const matchers = patterns.map((pattern) => {
    const negated = pattern.startsWith('!');
    return { negated, matches: picomatch(negated ? pattern.slice(1) : pattern, { dot: true }) };
  });
  return files.find((file) => {
    let included = false;
    for (const matcher of matchers) if (matcher.matches(file)) included = !matcher.negated;
    return included;
  });
}
