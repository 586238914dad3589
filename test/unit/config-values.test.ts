// The value rules of the jobs file, each accepted and refused value with its exact message: paths that must stay
// inside the workspace, guest folders for caches, path filters, host paths, kernel command lines.
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  CacheNameSchema,
  CmdlineSchema,
  GuestFolderSchema,
  HostPathSchema,
  NetworkSchema,
  WorkspaceGlobSchema,
  WorkspacePathSchema,
} from '../../src/config/schema.js';

/** The message a schema gives a value, or "ok". */
function verdict(schema: z.ZodType, value: unknown): string {
  const result = schema.safeParse(value, { reportInput: true });
  return result.success ? 'ok' : result.error.issues.map((issue) => issue.message).join('; ');
}

describe('jobs file values', () => {
  it('workspace globs stay inside the workspace', () => {
    expect(
      [
        'out/**',
        'x/a:b',
        'a:b',
        'x/..y',
        './dist',
        '',
        '/etc/passwd',
        'C:/x',
        'c:x',
        '../up',
        'a/../../b',
        'a/..',
      ].map((v) => [v, verdict(WorkspaceGlobSchema, v)]),
    ).toEqual([
      ['out/**', 'ok'],
      ['x/a:b', 'ok'],
      // A drive letter, as on Windows: absolute there.
      ['a:b', 'expected a path relative to the workspace, found the absolute path "a:b"'],
      ['x/..y', 'ok'],
      ['./dist', 'ok'],
      ['', 'expected a non-empty path'],
      ['/etc/passwd', 'expected a path relative to the workspace, found the absolute path "/etc/passwd"'],
      ['C:/x', 'expected a path relative to the workspace, found the absolute path "C:/x"'],
      ['c:x', 'expected a path relative to the workspace, found the absolute path "c:x"'],
      ['../up', 'expected a path inside the workspace, found "../up" (".." is not allowed)'],
      ['a/../../b', 'expected a path inside the workspace, found "a/../../b" (".." is not allowed)'],
      ['a/..', 'expected a path inside the workspace, found "a/.." (".." is not allowed)'],
    ]);
    expect(verdict(WorkspacePathSchema, 'src/app')).toBe('ok');
    for (const glob of ['src/*', 'a?', 'x[0]', '{a,b}'])
      expect(verdict(WorkspacePathSchema, glob)).toBe(
        `expected a plain path, found the glob ${JSON.stringify(glob)}`,
      );
  });

  it('cache folders in the guest: absolute, plain, outside what the agent and the system own', () => {
    const accepted = [
      '/home/vmplan/.npm',
      '/tmp/cache',
      '/var/cache/apt',
      '/opt/x@1+2',
      '/runner',
      '/workspaces',
    ];
    for (const folder of accepted) expect(verdict(GuestFolderSchema, folder), folder).toBe('ok');
    const place = (v: string) =>
      `"${v}" is not a place for a cache: expected a folder outside /, /workspace, /run, /var/run, /proc, /sys, /dev and /tmp itself`;
    const refused: [string, string][] = [
      [
        '/',
        `expected an absolute guest folder of letters, digits and . _ @ + - / (e.g. /home/vmplan/.npm), found "/"; ${place('/')}`,
      ],
      ['/tmp', place('/tmp')],
      ['/tmp/', place('/tmp/')],
      ['/workspace', place('/workspace')],
      ['/workspace/node_modules', place('/workspace/node_modules')],
      ['/run/user', place('/run/user')],
      ['/var/run/x', place('/var/run/x')],
      ['/proc/1', place('/proc/1')],
      ['/sys/fs', place('/sys/fs')],
      ['/dev/shm', place('/dev/shm')],
      [
        '/home/./x',
        'expected a plain absolute folder, found "/home/./x" (".", ".." and "//" are not allowed)',
      ],
      [
        '/home/../etc',
        'expected a plain absolute folder, found "/home/../etc" (".", ".." and "//" are not allowed)',
      ],
      [
        '/home/x/..',
        'expected a plain absolute folder, found "/home/x/.." (".", ".." and "//" are not allowed)',
      ],
      ['/home//x', 'expected a plain absolute folder, found "/home//x" (".", ".." and "//" are not allowed)'],
      [
        'home/x',
        'expected an absolute guest folder of letters, digits and . _ @ + - / (e.g. /home/vmplan/.npm), found "home/x"',
      ],
      [
        '/home/a b',
        'expected an absolute guest folder of letters, digits and . _ @ + - / (e.g. /home/vmplan/.npm), found "/home/a b"',
      ],
    ];
    for (const [folder, message] of refused) expect(verdict(GuestFolderSchema, folder), folder).toBe(message);
    expect(verdict(GuestFolderSchema, '/home/x/.cache')).toBe('ok');
  });

  it('cache names, networks, kernel command lines and host paths', () => {
    expect(verdict(CacheNameSchema, 'npm-cache_2')).toBe('ok');
    expect(verdict(CacheNameSchema, 'a'.repeat(22))).toBe('ok');
    expect(verdict(CacheNameSchema, 'a'.repeat(23))).toMatch(
      /^invalid cache name "a{23}": expected 1-22 characters/,
    );
    expect(verdict(CacheNameSchema, '-npm')).toMatch(/^invalid cache name "-npm"/);
    expect(verdict(NetworkSchema, 'bridged')).toBe('expected "nat" or "none", found "bridged"');
    expect(verdict(CmdlineSchema, 'quiet loglevel=3')).toBe('ok');
    expect(verdict(CmdlineSchema, 'init="/x y"')).toBe(
      'a kernel command line cannot contain a double quote (vfkit has no way to pass one)',
    );
    expect(verdict(CmdlineSchema, 3)).toBe('expected a string, found 3');
    expect(verdict(HostPathSchema, '/opt/vmplan/Image')).toBe('ok');
    expect(verdict(HostPathSchema, '/opt/../etc')).toBe('ok');
    expect(verdict(HostPathSchema, 'img/Image')).toBe('ok');
    expect(verdict(HostPathSchema, '../img')).toBe(
      'expected an absolute path or a path inside the repository, found "../img" (".." is not allowed)',
    );
    expect(verdict(HostPathSchema, '')).toBe('expected a non-empty path');
  });
});
