import { constants } from 'node:fs';
import { copyFile, open } from 'node:fs/promises';

const CHUNK = 1024 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

/**
 * Copies a regular file without writing its holes out: cloned copy-on-write where the filesystem can (a clone
 * keeps the holes), else read in 1 MiB chunks of which only those holding a non-zero byte are written, the
 * length set at the end. So a sparse file stays sparse, and a file of zeros takes no space. Yields between chunks.
 */
export async function copySparse(from: string, to: string): Promise<void> {
  try {
    await copyFile(from, to, constants.COPYFILE_FICLONE_FORCE);
    return;
  } catch {
    // no clones here: copy the data, skipping zeros
  }
  const source = await open(from, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const target = await open(to, 'w');
    try {
      const buffer = Buffer.alloc(CHUNK);
      let position = 0;
      for (;;) {
        const { bytesRead } = await source.read(buffer, 0, CHUNK, position);
        if (bytesRead === 0) break;
        const chunk = buffer.subarray(0, bytesRead);
        if (chunk.compare(ZEROS, 0, bytesRead) !== 0) await target.write(chunk, 0, bytesRead, position);
        position += bytesRead;
      }
      await target.truncate(position);
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}
