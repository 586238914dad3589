// A real OCI registry for tests: Debian's docker-registry (the CNCF distribution registry) on loopback, with a
// filesystem store in a temporary folder and, when asked, htpasswd basic auth.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running registry. */
export interface TestRegistry {
  /** `127.0.0.1:PORT`, as image references name it. */
  host: string;
  /** The registry's storage folder (to corrupt a blob on purpose). */
  root: string;
  stop(): Promise<void>;
}

/** A free loopback port (the registry takes its address from its config file, not from a listening socket). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** Starts a registry; with `user`, it requires basic auth with that user and password. */
export async function startRegistry(user?: { name: string; password: string }): Promise<TestRegistry> {
  const folder = mkdtempSync(join(tmpdir(), 'vmplan-registry-'));
  const root = join(folder, 'storage');
  const port = await freePort();
  const auth =
    user === undefined
      ? ''
      : `auth:\n  htpasswd:\n    realm: vmplan-test\n    path: ${join(folder, 'htpasswd')}\n`;
  if (user !== undefined)
    execFileSync('htpasswd', ['-Bbc', join(folder, 'htpasswd'), user.name, user.password], {
      stdio: 'ignore',
    });
  writeFileSync(
    join(folder, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${root}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', join(folder, 'config.yml')], {
    stdio: 'ignore',
  });
  const host = `127.0.0.1:${port}`;
  // Ready when /v2/ answers (200, or 401 with auth): the registry's own signal, polled.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}`);
    try {
      const response = await fetch(`http://${host}/v2/`);
      if (response.status === 200 || response.status === 401) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('docker-registry did not start within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    host,
    root,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
