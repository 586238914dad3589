import type { CliIo } from './io.js';

/** One flag of a command: how it parses (node:util parseArgs) and how help, the README and completion show it. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** What the value is called in help: `N`, `DIR`, `A,B`. */
  value?: string;
  /** Values to offer in shell completion. */
  choices?: readonly string[];
  description: string;
  /** What completion offers for the value: by default files for FILE/PATH values, folders for DIR, else nothing. */
  completes?: ValueCompletion;
}

/**
 * What shell completion offers for a value: fixed words, run ids, the jobs of the run named by the first operand
 * (its `jobs/` folders), file names, folder names, or nothing.
 */
export type ValueCompletion = readonly string[] | 'runs' | 'jobs' | 'files' | 'dirs' | 'none';

/** What completion offers for a command's operands, by position; `after` replaces positions 2+ by the first word. */
export interface OperandCompletions {
  operands: readonly ValueCompletion[];
  after?: Readonly<Record<string, readonly ValueCompletion[]>>;
}

/** A command's flags by name. */
export type Flags = Record<string, FlagSpec>;

/** One command, declared once: parsing, `vmplan help CMD`, `CMD --help`, the README table and completion read it. */
export interface CommandSpec {
  name: string;
  /** Operands after the name, as help shows them: `[FILE]`, `RUN [JOB]`. */
  operands: string;
  /** One line: what the command does. */
  summary: string;
  flags: Flags;
  examples?: readonly string[];
  /** What completion offers for the operands (default: nothing). */
  completes?: OperandCompletions;
  run(args: string[], io: CliIo): number | Promise<number>;
}

/** `--name VALUE` or `--name` for a flag. */
function flagUsage(name: string, flag: FlagSpec): string {
  return flag.type === 'boolean' ? `--${name}` : `--${name} ${flag.value ?? 'VALUE'}`;
}

/** The command's one-line synopsis: `run [FILE] [--only A,B] ...`. */
export function synopsis(spec: CommandSpec): string {
  const flags = Object.entries(spec.flags).map(([name, flag]) => `[${flagUsage(name, flag)}]`);
  return [spec.name, spec.operands, ...flags].filter((part) => part !== '').join(' ');
}

/** The full help of one command: synopsis, summary, every flag with its description, examples. */
export function commandHelp(spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, flag]) => [flagUsage(name, flag), flag.description]);
  const width = Math.max(0, ...rows.map(([usage]) => usage!.length));
  const lines = [
    `Usage: vmplan ${[spec.name, spec.operands].filter(Boolean).join(' ')}${rows.length > 0 ? ' [flags]' : ''}`,
    '',
    spec.summary,
  ];
  if (rows.length > 0) {
    lines.push('', 'Flags:');
    for (const [usage, description] of rows) lines.push(`  ${usage!.padEnd(width)}  ${description}`);
  }
  if (spec.examples !== undefined && spec.examples.length > 0) {
    lines.push('', 'Examples:', ...spec.examples.map((example) => `  ${example}`));
  }
  return `${lines.join('\n')}\n`;
}

/** What completion offers for a string flag's value: its choices, files, folders, or nothing (numbers, refs). */
export function flagCompletion(flag: FlagSpec): ValueCompletion {
  if (flag.completes !== undefined) return flag.completes;
  if (flag.choices !== undefined) return flag.choices;
  if (flag.value === 'DIR') return 'dirs';
  if (flag.value !== undefined && /^(FILE|PATH)\b|\.json$/.test(flag.value)) return 'files';
  return 'none';
}
