/**
 * Why a glob cannot mean what it says, or undefined when it is well formed: an unclosed `[` character class or `{`
 * alternation (`dist/[**`, `src/{a,b`). Glob libraries read such a pattern as literal text that matches nothing, so
 * the mistake would only show as an artifact or report never found, or a `paths` filter that never fires.
 */
export function globSyntaxProblem(glob: string): string | undefined {
  let braces = 0;
  let bracketAt = -1;
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index];
    if (char === '\\') {
      index++; // an escaped character is literal
      continue;
    }
    if (bracketAt !== -1) {
      // Inside a class: "]" closes it, unless it is the class's first character ("[]]" holds "]").
      const first =
        index === bracketAt + 1 || (index === bracketAt + 2 && '!^'.includes(glob[bracketAt + 1]!));
      if (char === ']' && !first) bracketAt = -1;
      continue;
    }
    if (char === '[') bracketAt = index;
    else if (char === '{') braces++;
    else if (char === '}' && braces > 0) braces--;
  }
  if (bracketAt !== -1) return `the "[" at position ${bracketAt + 1} is never closed with "]"`;
  if (braces > 0) return `${braces === 1 ? 'a "{" is' : `${braces} "{" are`} never closed with "}"`;
  return undefined;
}
