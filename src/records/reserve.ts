import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InfrastructureError, isOutOfSpace } from '../errors.js';

/** Bytes set aside per run for its records: enough for run.json, every status.json and results.json of a big run. */
export const RESERVE_BYTES = 512 * 1024;

/**
 * Space set aside in a run's folder when the run starts (a file of real, allocated bytes), given back when a record
 * cannot be written for lack of space — so a job that fills the disk cannot stop the run from ending with terminal
 * records — and at the end of the run.
 */
export class SpaceReserve {
  private present: boolean;

  private constructor(private readonly path: string) {
    this.present = true;
  }

  /** Writes the reserve into `folder`; throws (ENOSPC) when there is not even that much space. */
  static create(folder: string, bytes = RESERVE_BYTES): SpaceReserve {
    const path = join(folder, '.space-reserve');
    const fd = openSync(path, 'w', 0o600);
    let failure: unknown;
    try {
      // Non-zero bytes: a filesystem that compresses or deduplicates zeros would not really set space aside.
      const block = Buffer.alloc(64 * 1024, 0x5a);
      for (let written = 0; written < bytes; written += block.length) writeSync(fd, block);
    } catch (error) {
      failure = error;
    } finally {
      closeSync(fd);
    }
    if (failure !== undefined) {
      rmSync(path, { force: true });
      throw failure;
    }
    return new SpaceReserve(path);
  }

  /** Gives the space back; true when there was some to give. */
  release(): boolean {
    if (!this.present) return false;
    this.present = false;
    rmSync(this.path, { force: true });
    return true;
  }
}

/** Sets space aside in a new run's folder; a disk too full for even that is said plainly, before anything runs. */
export function reserveRunSpace(runDir: string): SpaceReserve {
  try {
    return SpaceReserve.create(runDir);
  } catch (error) {
    if (!isOutOfSpace(error)) throw error;
    throw new InfrastructureError(
      `not enough free space for a run's records in ${runDir}: vmplan sets ${RESERVE_BYTES / 1024} KiB aside per run (${(error as NodeJS.ErrnoException).code}). Free some space (vmplan gc) and run again.`,
    );
  }
}
