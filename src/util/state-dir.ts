import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Creates a vmplan state folder that git ignores on its own (a `.gitignore` of `*` inside it), so runs,
 * plans and caches never show up as changes or get committed, whatever the repository's own ignore rules.
 */
export function ensureStateDir(path: string): string {
  mkdirSync(path, { recursive: true });
  const ignore = join(path, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '# Created by vmplan: everything here is local state.\n*\n');
  return path;
}
