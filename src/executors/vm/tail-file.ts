import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** How often a growing file is polled: live enough for a human, cheap for the host. */
const POLL_MS = 100;
const CHUNK = 256 * 1024;

/**
 * Follows a file a guest writes (guest.log on the job share) into a stream, until `stop` resolves; then reads
 * what is left and ends the stream. Never follows a symlink (the guest controls that folder). At most
 * `maxBytes` are copied (a guest can write without end, or a sparse file of any size): then one line says so.
 */
export async function followFile(
  path: string,
  into: Writable,
  stop: Promise<unknown>,
  maxBytes = Number.MAX_SAFE_INTEGER,
): Promise<void> {
  let offset = 0;
  let cut = false;
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  const buffer = Buffer.alloc(CHUNK);
  const drain = async (): Promise<void> => {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      return; // not there yet, or not a file we read
    }
    try {
      if (!fstatSync(fd).isFile()) return;
      for (;;) {
        if (offset >= maxBytes) {
          if (!cut)
            into.write(
              `\nvmplan: the guest's output was cut here, at ${maxBytes} bytes (limits.log-bytes)\n`,
            );
          cut = true;
          return;
        }
        const read = readSync(fd, buffer, 0, Math.min(CHUNK, maxBytes - offset), offset);
        if (read <= 0) return;
        offset += read;
        if (!into.write(Buffer.from(buffer.subarray(0, read))))
          await new Promise((resolve) => into.once('drain', resolve));
      }
    } finally {
      closeSync(fd);
    }
  };
  while (!stopped) {
    await drain();
    await Promise.race([sleep(POLL_MS), stop]);
  }
  await drain();
  await new Promise<void>((resolve) => into.end(resolve));
}
