import { type ParseArgsConfig, parseArgs } from 'node:util';
import { InputError } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's flags strictly; unknown flags and missing values become InputErrors naming the command. */
export function parseCommandArgs<O extends Options>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new InputError(
      `vmplan ${command}: ${(error as Error).message.split('\n')[0]} (see vmplan ${command.split(' ')[0]} --help)`,
    );
  }
}

/** Splits repeated and comma-separated values: `--only a --only b,c` → [a, b, c]. */
export function listOption(values: string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  return values
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
}
