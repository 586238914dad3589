import type { Diagnostic, Relativize } from '../model.js';
import { DIAGNOSTIC_RULES } from './registry.js';
import type { DiagnosticRule, RawDiagnostic } from './rule.js';

// ANSI colour codes some tools print even when not on a terminal.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');

/**
 * Finds file/line diagnostics in a job's log with every rule of the registry: each line goes to the first rule
 * that claims it. Pure: the caller reads the log and says which paths are the repository's.
 */
export function parseDiagnostics(
  job: string,
  log: string,
  relativize: Relativize,
  rules: readonly DiagnosticRule[] = DIAGNOSTIC_RULES,
): Diagnostic[] {
  const lines = log.replace(ANSI, '').split(/\r?\n/);
  const claimed = new Map<number, RawDiagnostic>();
  for (const rule of rules) {
    for (const [index, raw] of rule.find(lines)) if (!claimed.has(index)) claimed.set(index, raw);
  }
  const found: Diagnostic[] = [];
  for (const index of [...claimed.keys()].sort((a, b) => a - b)) {
    const raw = claimed.get(index)!;
    const path = [raw.path, ...(raw.alternatives ?? [])]
      .map((candidate) => relativize(candidate.trim()))
      .find((candidate) => candidate !== undefined);
    if (path === undefined || !Number.isInteger(raw.line) || raw.line < 1) continue;
    found.push({
      job,
      path,
      line: raw.line,
      column: raw.column,
      severity: raw.severity,
      title: raw.title ?? `${raw.tool}: ${raw.severity}`,
      message: raw.message.trim(),
      tool: raw.tool,
    });
  }
  return dedupe(found);
}

/** Drops repeats (the same tool, place and message), keeping the first. */
export function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((diagnostic) => {
    const key = `${diagnostic.job}\0${diagnostic.path}\0${diagnostic.line}\0${diagnostic.column}\0${diagnostic.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A Relativize for a job: strips the places a workspace lives (the guest's /workspace, the host copy, the
 * repository itself) and keeps only paths that exist in the repository snapshot.
 */
export function relativizer(
  prefixes: string[],
  exists: (relative: string) => boolean,
  workingDirectory = '.',
): Relativize {
  // Longest first: the job's workspace usually lies inside the repository (the CLI's state folder is `.vmplan`),
  // and a path there is relative to the workspace, not to the repository.
  const roots = prefixes
    .map((prefix) => (prefix.endsWith('/') ? prefix : `${prefix}/`))
    .sort((a, b) => b.length - a.length);
  return (path) => {
    const root = roots.find((candidate) => path.startsWith(candidate));
    let relative = root === undefined ? undefined : path.slice(root.length);
    if (relative === undefined) {
      if (path.startsWith('/')) return undefined;
      const base = workingDirectory === '.' ? '' : `${workingDirectory.replace(/\/+$/, '')}/`;
      relative = `${base}${path.replace(/^\.\//, '')}`;
    }
    const normalized = relative.split('/').reduce<string[]>((parts, part) => {
      if (part === '..') parts.pop();
      else if (part !== '.' && part !== '') parts.push(part);
      return parts;
    }, []);
    const result = normalized.join('/');
    return result !== '' && exists(result) ? result : undefined;
  };
}
