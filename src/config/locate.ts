import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, type Pair } from 'yaml';
import type { PathSegment, Problem } from '../errors.js';

/** Finds line/column positions for document paths in a parsed YAML/JSON document. */
export class Locator {
  constructor(
    private readonly file: string,
    private readonly document: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  /** Fills in file, line and column for a problem from its path (the nearest existing node when the path is missing). */
  locate(problem: Problem): Problem {
    const offset = this.offsetOf(problem.path ?? [], problem.at ?? 'value');
    if (offset === undefined) return { ...problem, file: this.file };
    const { line, col } = this.lineCounter.linePos(offset);
    return { ...problem, file: this.file, line, column: col };
  }

  private offsetOf(path: readonly PathSegment[], at: 'key' | 'value'): number | undefined {
    let node: unknown = this.document.contents;
    let offset = rangeStart(node);
    for (let i = 0; i < path.length; i++) {
      node = this.resolve(node);
      const segment = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        // The last pair with the key: it is the one whose value counts when a key is repeated.
        const pair = (node.items as Pair[]).filter((item) => keyText(item.key) === String(segment)).at(-1);
        if (pair === undefined) return offset;
        if (last && at === 'key') return rangeStart(pair.key) ?? offset;
        node = pair.value;
        // `key:` with no value has no value node: point at the key instead.
        offset = rangeStart(node) ?? rangeStart(pair.key) ?? offset;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
        if (node === undefined) return offset;
        offset = rangeStart(node) ?? offset;
      } else {
        return offset;
      }
    }
    return offset;
  }

  private resolve(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.document) : node;
  }
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range?.[0];
}
