// A real OCI registry for tests: Debian's docker-registry (the CNCF distribution registry) on loopback, with a
// filesystem store in a temporary folder and, when asked, htpasswd basic auth.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running registry. */
export interface TestRegistry {
  /** `127.0.0.1:PORT`, as image references name it. */
  host: string;
  /** The registry's storage folder (to corrupt a blob on purpose). */
  root: string;
  /**
   * The requests the registry answered so far, from its access log, as `METHOD PATH` (query removed), in order.
   * A marker request is made and waited for first, so every request answered before the call is in the list.
   */
  requests(): Promise<string[]>;
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
  // The access log goes to stdout (whatever the log level): kept in a file, for requests().
  const accessLog = join(folder, 'access.log');
  const logFd = openSync(accessLog, 'w');
  const child: ChildProcess = spawn('docker-registry', ['serve', join(folder, 'config.yml')], {
    stdio: ['ignore', logFd, 'ignore'],
  });
  closeSync(logFd);
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
  let markers = 0;
  let stopped: Promise<void> | undefined;
  const logged = () =>
    [...readFileSync(accessLog, 'utf8').matchAll(/"([A-Z]+) ([^ ?"]+)[^"]*"/g)].map(
      (match) => `${match[1]} ${match[2]}`,
    );
  return {
    host,
    root,
    async requests() {
      // Each request is logged once answered: a request of our own, answered after the ones before it, is seen
      // in the log once they are.
      const marker = `/v2/vmplan-test-marker-${++markers}/tags/list`;
      await (await fetch(`http://${host}${marker}`)).arrayBuffer();
      const deadline = Date.now() + 30_000;
      for (;;) {
        const lines = logged();
        const at = lines.indexOf(`GET ${marker}`);
        if (at !== -1) return lines.filter((line) => !line.includes('/vmplan-test-marker-'));
        if (Date.now() > deadline) throw new Error(`the registry did not log ${marker}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    // Stopping twice (a test that stops it, then afterAll) waits for nothing the second time: a registry killed by
    // the signal keeps exitCode null for good (signalCode says how it ended), so exitCode alone would wait forever
    // for an 'exit' event that already happened.
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await exited;
        }
        rmSync(folder, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
