import { type ChildProcess, spawn } from 'node:child_process';
import { REPO_ROOT } from '../cli.js';

/** A running Azurite blob service on 127.0.0.1, in memory. */
export interface Azurite {
  url: string;
  stop(): Promise<void>;
}

/** Starts Azurite's blob service on a free port (≈ 2-3 s); the real Azure storage protocol, locally. */
export async function startAzurite(): Promise<Azurite> {
  const child: ChildProcess = spawn(
    `${REPO_ROOT}node_modules/.bin/azurite-blob`,
    [
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--inMemoryPersistence',
      '--disableTelemetry',
      '--skipApiVersionCheck',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    // A safety net below the hooks' timeout, not a measurement: on a loaded machine Azurite takes far longer than 3 s.
    const timer = setTimeout(() => reject(new Error(`Azurite did not start: ${output}`)), 170_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /listens on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`Azurite exited with ${code}: ${output}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
