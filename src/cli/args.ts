import { type ParseArgsConfig, parseArgs } from 'node:util';
import { InputError } from '../errors.js';
import { closestMatch } from '../util/suggest.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's flags strictly; unknown flags and missing values become InputErrors naming the command. */
export function parseCommandArgs<O extends Options>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new InputError(flagProblem(command, error as Error & { code?: string }, options));
  }
}

/**
 * node:util's parse error, said in vmplan's words: `unknown flag --exector for vmplan run; did you mean
 * --executor?`, a flag missing its value, a switch given one. Anything else keeps node's first line.
 */
export function flagProblem(command: string, error: Error & { code?: string }, options: Options): string {
  const help = `see vmplan ${command.split(' ')[0]} --help`;
  const flag = /'(-{1,2}[^'\s<=]+)/.exec(error.message)?.[1];
  if (flag === undefined) return `vmplan ${command}: ${error.message.split('\n')[0]} (${help})`;
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const known = ['--help', ...Object.keys(options).map((name) => `--${name}`)];
    const match = closestMatch(flag, known);
    return `unknown flag ${flag} for vmplan ${command}; ${match === undefined ? help : `did you mean ${match}?`}`;
  }
  const name = flag.replace(/^-+/, '');
  if (options[name]?.type === 'boolean') return `flag ${flag} for vmplan ${command} takes no value (${help})`;
  return `flag ${flag} for vmplan ${command} needs a value: ${flag} VALUE (${help})`;
}

/** Splits repeated and comma-separated values: `--only a --only b,c` → [a, b, c]. */
export function listOption(values: string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  return (
    values
      // A comma inside parentheses belongs to a matrix variant's name: `test (node 22, arm64)`.
      .flatMap((value) => value.split(/,(?![^()]*\))/))
      .map((value) => value.trim())
      .filter((value) => value !== '')
  );
}
