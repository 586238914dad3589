// `vmplan image push` and `pull` on a terminal: one line rewritten in place while blobs move, against a real
// registry; on a pipe, or with --json, only the line at the end.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runVmplan, TSX_LOADER } from '../support/cli.js';
import { commandWorks, prerequisite } from '../support/prerequisites.js';
import { onTerminal } from '../support/pty.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { seededBytes } from '../support/seeded-bytes.js';

const available = prerequisite(
  'docker-registry and script (the docker-registry and util-linux packages)',
  commandWorks('docker-registry', ['--version']) && commandWorks('script', ['--version']),
);
const folder = mkdtempSync(join(tmpdir(), 'vmplan-transfer-progress-'));
let registry: TestRegistry;
beforeAll(async () => {
  if (available) registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
  rmSync(folder, { recursive: true, force: true });
});

/** A guest image folder of random bytes (nothing boots it): a kernel, an initrd and a disk of several chunks. */
function imageFolder(): string {
  const image = join(folder, 'image');
  mkdirSync(image, { recursive: true });
  writeFileSync(join(image, 'kernel'), randomBytes(200_000));
  writeFileSync(join(image, 'initrd'), randomBytes(300_000));
  writeFileSync(join(image, 'disk'), seededBytes(12_000_000, 0xd15c)); // seeded: the same chunks every run
  return image;
}

// Live output needs a terminal outside CI (these tests run with CI=true).
const NOT_CI = { CI: '', GITHUB_ACTIONS: '' };

/** `vmplan ARGS` on a pseudo-terminal with its own cache; what the terminal got, as written, and the exit code. */
async function onTty(
  args: string[],
  cache: string,
): Promise<{ raw: string; screen: string; code: number | null }> {
  const session = onTerminal(
    [process.execPath, '--import', TSX_LOADER, `${REPO_ROOT}src/cli.ts`, ...args],
    { ...NOT_CI, VMPLAN_CACHE_DIR: cache },
    folder,
  );
  const code = await session.exited;
  return { raw: session.raw(), screen: session.screen(), code };
}

describe.skipIf(!available)('push and pull progress', () => {
  it('on a terminal: one line rewritten in place while blobs move, then the line at the end; on a pipe and with --json, no progress', async () => {
    const image = imageFolder();
    const reference = `${registry.host}/acme/progress:1`;

    const pushed = await onTty(['image', 'push', image, reference], join(folder, 'push-cache'));
    expect(pushed.code, pushed.screen).toBe(0);
    const pushLines = [
      ...pushed.raw.matchAll(/pushing [^:]+:\d+\/acme\/progress:1: (\d+) of (\d+) blob\(s\), ([^\r\n]*)/g),
    ];
    const blobs = Number(pushLines[0]?.[2]);
    // Several chunks: more than a config, kernel and initrd; from none done to all done.
    expect(blobs, pushed.raw).toBeGreaterThan(4);
    expect(pushLines[0]?.[1]).toBe('0');
    expect(pushLines.at(-1)?.[1]).toBe(String(blobs));
    expect(pushed.screen).toMatch(new RegExp(`sent ${blobs} of ${blobs} blob\\(s\\), .* in \\d+\\.\\d s`));

    const pulled = await onTty(['image', 'pull', reference], join(folder, 'pull-cache'));
    expect(pulled.code, pulled.screen).toBe(0);
    const pullLines = [
      ...pulled.raw.matchAll(
        /pulling [^:]+:\d+\/acme\/progress:1: (\d+) of (\d+) blob\(s\), (\S+ \S+) of (\S+ \S+)/g,
      ),
    ];
    expect(pullLines.length, pulled.raw).toBeGreaterThanOrEqual(2);
    expect(pullLines[0]?.slice(1, 3)).toEqual(['0', String(blobs)]);
    const last = pullLines.at(-1)!;
    // All blobs, all bytes: the whole image, as the final line counts it.
    expect(last[1]).toBe(String(blobs));
    expect(last[3]).toBe(last[4]);
    expect(pulled.screen).toMatch(
      new RegExp(`fetched ${blobs} of ${blobs} blob\\(s\\), ${last[4]} of ${last[4]} in`),
    );
    // Rewritten in place: each progress line starts by going back to the row's start and erasing it, and no line
    // break ever follows one (the next thing is the next rewrite, or the final line over it).
    for (const match of pullLines) {
      expect(pulled.raw.slice(match.index - 5, match.index)).toBe('\r\x1b[2K');
      expect(pulled.raw.slice(match.index + match[0].length, match.index + match[0].length + 1)).toBe('\r');
    }

    // Not a terminal: the line at the end only, no carriage return.
    const piped = await runVmplan(['image', 'pull', reference], {
      cwd: folder,
      env: { ...NOT_CI, VMPLAN_CACHE_DIR: join(folder, 'piped-cache') },
    });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toMatch(
      new RegExp(`^fetched ${blobs} of ${blobs} blob\\(s\\), .* in \\d+\\.\\d s\\n$`),
    );
    expect(piped.stderr).not.toContain('\r');

    // --json on a terminal: the JSON document and the final line, no progress.
    const json = await onTty(['image', 'pull', reference, '--json'], join(folder, 'json-cache'));
    expect(json.code, json.screen).toBe(0);
    expect(json.screen).toContain('"action": "pull"');
    expect(json.screen).toMatch(new RegExp(`fetched ${blobs} of ${blobs} blob\\(s\\)`));
    expect(json.raw).not.toContain('pulling');
  });
});
