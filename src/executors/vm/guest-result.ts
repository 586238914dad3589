import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { z } from 'zod';

/** Largest result.json the host reads: it is a few hundred bytes when honest. */
export const MAX_RESULT_BYTES = 64 * 1024;

/** A time on the guest's clock: at most about 11 days of uptime. */
const centiseconds = z.number().int().min(0).max(100_000_000);

/** `result.json` as the guest agent writes it (docs/guest-protocol.md). Untrusted: validated strictly. */
export const GuestResultSchema = z.strictObject({
  version: z.literal(1),
  status: z.enum(['passed', 'failed', 'timed_out', 'error']),
  exitCode: z.number().int().min(0).max(255).nullable(),
  startedAt: z.string().max(64).nullable(),
  finishedAt: z.string().max(64),
  message: z.string().max(4096).nullable(),
  uptimes: z
    .strictObject({
      started: centiseconds,
      command: centiseconds.nullable(),
      finished: centiseconds.nullable(),
      collected: centiseconds,
    })
    .optional()
    .describe(
      "The guest's clock (centiseconds since its kernel started) when the agent started, the command started and ended, and the results were collected; older agents write none.",
    ),
});
/** The guest's own times (see GuestResultSchema's uptimes). */
export type GuestUptimes = NonNullable<GuestResult['uptimes']>;
/** A validated guest result. */
export type GuestResult = z.infer<typeof GuestResultSchema>;

/** What reading result.json gave. */
export type GuestResultRead =
  | { kind: 'missing' }
  | { kind: 'invalid'; problem: string }
  | { kind: 'ok'; result: GuestResult };

/**
 * Reads the guest's result.json as untrusted input: a regular file only (never through a symlink the guest
 * planted), at most MAX_RESULT_BYTES, valid JSON matching the schema.
 */
export function readGuestResult(path: string): GuestResultRead {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'invalid', problem: 'result.json is a symlink' };
    return { kind: 'invalid', problem: `result.json cannot be read (${code})` };
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { kind: 'invalid', problem: 'result.json is not a regular file' };
    if (info.size > MAX_RESULT_BYTES) {
      return {
        kind: 'invalid',
        problem: `result.json is ${info.size} bytes, more than the ${MAX_RESULT_BYTES} allowed`,
      };
    }
    const buffer = Buffer.alloc(Number(info.size));
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    let data: unknown;
    try {
      data = JSON.parse(buffer.subarray(0, read).toString('utf8'));
    } catch (error) {
      return { kind: 'invalid', problem: `result.json is not valid JSON (${(error as Error).message})` };
    }
    const parsed = GuestResultSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
      return {
        kind: 'invalid',
        problem: `result.json does not match the guest protocol (${where}${issue.message})`,
      };
    }
    return { kind: 'ok', result: parsed.data };
  } finally {
    closeSync(fd);
  }
}
