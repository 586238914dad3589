import type { Problem } from '../errors.js';
import type { CliIo } from './io.js';
import type { Flags } from './spec.js';

/** Version of the JSON documents `--json` prints (docs/cli-json.md); bumped on any incompatible change. */
export const CLI_JSON_VERSION = 1;

/** The `--json` flag, shared by every command that has it. */
export const JSON_FLAG = {
  json: {
    type: 'boolean',
    description:
      'Print one JSON document on stdout (docs/cli-json.md); human text and job output go to stderr.',
  },
} as const satisfies Flags;

/** Whether a command that has `--json` was asked for it (then runCli prints a refusal as a document too). */
export function wantsJson(flags: Flags, args: readonly string[]): boolean {
  return 'json' in flags && args.includes('--json');
}

/** The io a command uses for human text in --json mode: everything on stderr, stdout kept for the document. */
export function humanIo(io: CliIo, json: boolean): CliIo {
  if (!json) return io;
  return { ...io, stdout: io.stderr, stdoutStream: io.stderrStream };
}

/** Prints a command's JSON document: `{ "vmplan": 1, "command": ..., "ok": ..., ...body }`. */
export function printJson(io: CliIo, command: string, ok: boolean, body: Record<string, unknown>): void {
  io.stdout(`${JSON.stringify({ vmplan: CLI_JSON_VERSION, command, ok, ...body }, null, 2)}\n`);
}

/** The document of a command refused for bad input: its problems, located as in the text form. */
export function problemsDocument(problems: readonly Problem[]): Record<string, unknown> {
  return {
    problems: problems.map((problem) => ({
      file: problem.file ?? null,
      line: problem.line ?? null,
      column: problem.column ?? null,
      path: problem.path ?? null,
      message: problem.message,
    })),
  };
}
