import { findNodeAtLocation, type Node, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { PathSegment, Problem } from '../errors.js';

/** Strict JSON: no comments, no trailing commas (jsonc-parser is lenient unless told). */
const STRICT = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false } as const;

/**
 * Line and column of positions in a JSON text. Plans can be tens of MB, so nothing is parsed for positions until a
 * problem needs one (the happy path is a plain JSON.parse).
 */
export class JsonLocator {
  private tree: Node | undefined;
  private lineStarts: number[] | undefined;

  constructor(
    private readonly file: string,
    private readonly text: string,
  ) {}

  /** Fills in file, line and column for a problem from its path (the nearest existing node when the path is missing). */
  locate(problem: Problem): Problem {
    this.tree ??= parseTree(this.text, [], STRICT);
    if (this.tree === undefined) return { ...problem, file: this.file };
    const offset = this.offsetOf(problem.path ?? [], problem.at ?? 'value');
    return { ...problem, file: this.file, ...this.position(offset) };
  }

  /** The first syntax error of the text, located; undefined when the text is valid JSON. */
  syntaxError(): Problem | undefined {
    const errors: ParseError[] = [];
    parseTree(this.text, errors, STRICT);
    const first = errors[0];
    if (first === undefined) return undefined;
    return {
      file: this.file,
      ...this.position(first.offset),
      message: `not a plan: invalid JSON (${describeParseError(printParseErrorCode(first.error))})`,
    };
  }

  private offsetOf(path: readonly PathSegment[], at: 'key' | 'value'): number {
    let found: Node | undefined;
    // The deepest node that exists on the way down the path.
    for (let depth = path.length; depth >= 0 && found === undefined; depth--) {
      found = findNodeAtLocation(this.tree!, [...path.slice(0, depth)]);
      if (found !== undefined && depth < path.length) return found.offset;
    }
    if (found === undefined) return 0;
    if (at === 'key' && found.parent?.type === 'property')
      return found.parent.children?.[0]?.offset ?? found.offset;
    return found.offset;
  }

  private position(offset: number): { line: number; column: number } {
    if (this.lineStarts === undefined) {
      this.lineStarts = [0];
      for (let index = this.text.indexOf('\n'); index !== -1; index = this.text.indexOf('\n', index + 1))
        this.lineStarts.push(index + 1);
    }
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.lineStarts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - this.lineStarts[low]! + 1 };
  }
}

/** jsonc-parser's error codes in words: "PropertyNameExpected" → "property name expected". */
function describeParseError(code: string): string {
  return code
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/^invalid symbol$/, 'unexpected character');
}
