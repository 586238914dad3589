/**
 * Visits a dependency graph depth-first, calling `done(id)` once per reachable id after every id it depends on
 * (post-order). Iterative, so a 20,000-long chain cannot overflow the call stack; ids on a cycle are visited
 * once (cycles are reported by the jobs-file checks before any plan is built).
 */
export function postOrder(
  roots: Iterable<string>,
  dependencies: (id: string) => readonly string[],
  done: (id: string) => void,
): void {
  const seen = new Set<string>();
  for (const root of roots) {
    if (seen.has(root)) continue;
    seen.add(root);
    const frames: { id: string; left: string[] }[] = [{ id: root, left: [...dependencies(root)].reverse() }];
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const next = frame.left.pop();
      if (next === undefined) {
        frames.pop();
        done(frame.id);
      } else if (!seen.has(next)) {
        seen.add(next);
        frames.push({ id: next, left: [...dependencies(next)].reverse() });
      }
    }
  }
}
