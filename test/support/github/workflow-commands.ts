import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A workflow command the runner would act on. */
export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

const unescapeData = (text: string) =>
  text.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%');
const unescapeProperty = (text: string) => unescapeData(text).replaceAll('%3A', ':').replaceAll('%2C', ',');

/**
 * Reads a step's stdout as the runner does: `::command props::message` lines (and the legacy
 * `##[command props]message`) are commands, except between
 * `::stop-commands::TOKEN` and `::TOKEN::`, where nothing is. Returns the commands acted on, in order.
 */
export function parseWorkflowCommands(stdout: string): WorkflowCommand[] {
  const commands: WorkflowCommand[] = [];
  let stopToken: string | undefined;
  for (const line of stdout.split(/\r?\n/)) {
    const trimmed = line.trimStart();
    if (stopToken !== undefined) {
      if (trimmed === `::${stopToken}::`) stopToken = undefined;
      continue;
    }
    // The runner still obeys the legacy form too: ##[command key=value;key=value]message.
    const legacy = /^##\[([A-Za-z-]+)(?: ([^\]]*))?\](.*)$/.exec(trimmed);
    if (legacy !== null) {
      const properties: Record<string, string> = {};
      for (const pair of (legacy[2] ?? '').split(';').filter(Boolean)) {
        const index = pair.indexOf('=');
        if (index > 0) properties[pair.slice(0, index).trim()] = pair.slice(index + 1);
      }
      commands.push({ command: legacy[1]!, properties, message: unescapeData(legacy[3]!) });
      continue;
    }
    const match = /^::([A-Za-z-]+)( [^:]*)?::(.*)$/.exec(trimmed);
    if (match === null) continue;
    const [, command, rawProperties, message] = match as unknown as [
      string,
      string,
      string | undefined,
      string,
    ];
    if (command === 'stop-commands') {
      stopToken = message;
      continue;
    }
    const properties: Record<string, string> = {};
    for (const pair of (rawProperties ?? '').trim().split(',').filter(Boolean)) {
      const index = pair.indexOf('=');
      if (index > 0) properties[pair.slice(0, index)] = unescapeProperty(pair.slice(index + 1));
    }
    commands.push({ command, properties, message: unescapeData(message) });
  }
  return commands;
}

/** Reads a GITHUB_OUTPUT / GITHUB_STATE file (heredoc-delimited `name<<DELIM` entries). */
export function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (match === null) {
      const simple = /^([^=]+)=(.*)$/.exec(lines[i]!);
      if (simple !== null) values[simple[1]!] = simple[2]!;
      continue;
    }
    const [, name, delimiter] = match as unknown as [string, string, string];
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
    values[name] = value.join('\n');
  }
  return values;
}

/** What a piece of a step did, as the runner reads it back. */
export interface StepPart {
  stdout: string;
  commands: WorkflowCommand[];
  outputs: Record<string, string>;
  /** The exit code the step would end with (1 once `core.setFailed` was called). */
  exitCode: number;
}

/**
 * Runs `run` in this process with stdout captured and the exit code it sets taken back: what a runner would read
 * of a step. The process's stdout and exit code are as they were afterwards, whatever `run` did.
 */
export async function capturingStep(
  run: () => void | Promise<void>,
): Promise<{ stdout: string; exitCode: number }> {
  const write = process.stdout.write;
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  let stdout = '';
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    (rest.find((arg) => typeof arg === 'function') as (() => void) | undefined)?.();
    return true;
  }) as typeof process.stdout.write;
  let code: number;
  try {
    await run();
  } finally {
    process.stdout.write = write;
    // setFailed sets the exit code the step would end with.
    code = Number(process.exitCode ?? 0);
    process.exitCode = exitCode;
  }
  return { stdout, exitCode: code };
}

/**
 * Runs part of a step in this process with a fresh GITHUB_OUTPUT file and stdout captured: what a runner reads
 * back from it. The process's exit code, stdout and environment are as they were afterwards.
 */
export async function asStepPart(run: () => void | Promise<void>): Promise<StepPart> {
  const folder = mkdtempSync(join(tmpdir(), 'vmplan-step-'));
  const output = join(folder, 'output');
  writeFileSync(output, '');
  const saved = process.env.GITHUB_OUTPUT;
  process.env.GITHUB_OUTPUT = output;
  let captured: { stdout: string; exitCode: number };
  try {
    captured = await capturingStep(run);
  } finally {
    if (saved === undefined) delete process.env.GITHUB_OUTPUT;
    else process.env.GITHUB_OUTPUT = saved;
  }
  const outputs = parseFileCommands(readFileSync(output, 'utf8'));
  rmSync(folder, { recursive: true, force: true });
  return { ...captured, commands: parseWorkflowCommands(captured.stdout), outputs };
}
