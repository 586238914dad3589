import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_LIMITS, effectiveLimits, plannedLimits, UNTRUSTED_LIMITS } from '../../src/plan/limits.js';
import {
  parseUntrustedLimit,
  UNTRUSTED_LIMIT_SETTINGS,
  type UntrustedLimitSetting,
  untrustedLimitsFrom,
} from '../../src/plan/untrusted-limits.js';
import { parseBytes } from '../../src/util/bytes.js';

// A job's caps (limits:) and an untrusted run's caps, held to the numbers docs/security.md, README.md and
// action.yml promise: a changed default or a clamp that no longer clamps is a broken promise, not a detail.

const KEYS = {
  'artifact-bytes': 'artifactBytes',
  'artifact-files': 'artifactFiles',
  'report-files': 'reportFiles',
  'log-bytes': 'logBytes',
} as const;

/** The rows of docs/security.md's limits table: limit → [default, untrusted at most], as numbers. */
function documentedLimits(): Map<string, [number, number]> {
  const text = readFileSync('docs/security.md', 'utf8');
  const rows = new Map<string, [number, number]>();
  for (const match of text.matchAll(/^\| `([a-z-]+)` \| (\w+) \| (\w+) \|/gm)) {
    const value = (cell: string) => (/^\d+$/.test(cell) ? Number(cell) : parseBytes(cell)!);
    if (match[1]! in KEYS) rows.set(match[1]!, [value(match[2]!), value(match[3]!)]);
  }
  return rows;
}

describe('job limits', () => {
  it('has the defaults and untrusted caps docs/security.md documents, every one', () => {
    const rows = documentedLimits();
    expect([...rows.keys()].sort()).toEqual(Object.keys(KEYS).sort());
    for (const [limit, [byDefault, untrusted]] of rows) {
      const key = KEYS[limit as keyof typeof KEYS];
      expect({ limit, value: DEFAULT_LIMITS[key] }).toEqual({ limit, value: byDefault });
      expect({ limit, value: UNTRUSTED_LIMITS[key] }).toEqual({ limit, value: untrusted });
    }
    // README.md says the same in words.
    expect(readFileSync('README.md', 'utf8')).toContain(
      'Defaults: 8GiB, 50000, 2000, 256MiB; untrusted runs never get more\n  than 1GiB, 10000, 500, 64MiB.',
    );
  });

  it('gives an untrusted job no more than the untrusted caps, each one, whatever its plan asks', () => {
    const asked = { artifactBytes: 2 ** 40, artifactFiles: 10 ** 6, reportFiles: 10 ** 5, logBytes: 2 ** 40 };
    expect(effectiveLimits(asked, false)).toEqual(UNTRUSTED_LIMITS);
    expect(effectiveLimits(undefined, false)).toEqual(UNTRUSTED_LIMITS);
    // Lower caps than the untrusted ones are kept, each on its own.
    const lower = { artifactBytes: 1000, artifactFiles: 10, reportFiles: 5, logBytes: 2000 };
    expect(effectiveLimits(lower, false)).toEqual(lower);
    expect(effectiveLimits({ logBytes: 2000 }, false)).toEqual({ ...UNTRUSTED_LIMITS, logBytes: 2000 });
    // A trusted job gets what it asks, the defaults for the rest.
    expect(effectiveLimits(asked, true)).toEqual(asked);
    expect(effectiveLimits({ reportFiles: 7 }, true)).toEqual({ ...DEFAULT_LIMITS, reportFiles: 7 });
    expect(effectiveLimits(undefined, true)).toEqual(DEFAULT_LIMITS);
  });

  it("plans a job's own limits over defaults.limits, sizes as bytes, and nothing when none is set", () => {
    expect(
      plannedLimits(
        { 'artifact-bytes': '2GiB', 'report-files': 9 },
        { 'artifact-bytes': 100, 'artifact-files': 20, 'report-files': 30, 'log-bytes': '1MiB' },
      ),
    ).toEqual({ artifactBytes: 2 * 2 ** 30, artifactFiles: 20, reportFiles: 9, logBytes: 2 ** 20 });
    expect(plannedLimits(undefined, { 'log-bytes': 64 })).toEqual({ logBytes: 64 });
    expect(plannedLimits({}, undefined)).toBeUndefined();
    expect(plannedLimits(undefined, undefined)).toBeUndefined();
  });
});

describe('untrusted run caps', () => {
  it('defaults to what action.yml and docs/security.md say when a setting is unset or empty', () => {
    const action = parse(readFileSync('action.yml', 'utf8')) as {
      inputs: Record<string, { default?: string }>;
    };
    const settings = Object.keys(UNTRUSTED_LIMIT_SETTINGS) as UntrustedLimitSetting[];
    const fromAction = untrustedLimitsFrom(
      Object.fromEntries(settings.map((setting) => [setting, action.inputs[setting]!.default])),
    );
    expect(fromAction.problems).toEqual([]);
    expect(untrustedLimitsFrom({}).limits).toEqual(fromAction.limits);
    expect(untrustedLimitsFrom({ 'untrusted-max-cpus': ' ' }).limits).toEqual(fromAction.limits);
    expect(fromAction.limits).toEqual({
      maxJobs: 50,
      maxMemoryMiB: 8192,
      maxCpus: 4,
      maxTimeoutMinutes: 120,
    });
    expect(readFileSync('docs/security.md', 'utf8').replace(/\s+/g, ' ')).toContain(
      '`untrusted-max-memory` of guest memory (default `8GiB`), `untrusted-max-cpus` CPUs (default 4)',
    );
  });

  it('names the setting, what it expects and what it found, with the flag prefix for flags', () => {
    const { limits, problems } = untrustedLimitsFrom(
      { 'untrusted-max-jobs': 'many', 'untrusted-max-memory': '2GiB', 'untrusted-max-timeout': '0' },
      '--',
    );
    expect(problems).toEqual([
      '--untrusted-max-jobs: expected a whole number of jobs, e.g. 50, found "many"',
      '--untrusted-max-timeout: expected a duration such as 2h or 90m (minutes), found "0"',
    ]);
    expect(limits.maxMemoryMiB).toBe(2048);
    expect(parseUntrustedLimit('untrusted-max-memory', '1536')).toBe(1536);
    expect(parseUntrustedLimit('untrusted-max-timeout', '1.5h')).toBe(90);
  });
});
