import { type CommandSpec, flagCompletion, type ValueCompletion } from './spec.js';

/** Shells `vmplan completion` writes a script for. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
/** A shell vmplan completes in. */
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** Words shells must not expand: single-quoted, with single quotes escaped the POSIX way. */
const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

/** Every flag that takes a value, as `command --flag`, with what to offer for the value. */
function valueFlags(commands: readonly CommandSpec[]): [string, ValueCompletion][] {
  return commands.flatMap((command) =>
    Object.entries(command.flags)
      .filter(([, flag]) => flag.type === 'string')
      .map(([name, flag]): [string, ValueCompletion] => [`${command.name} --${name}`, flagCompletion(flag)]),
  );
}

/** Each command's operand completions as `[key, what]`: `image:0` by position, `image:build:1` after a first word. */
function operandKeys(command: CommandSpec): {
  byFirst: [string, ValueCompletion][];
  byPosition: [string, ValueCompletion][];
} {
  const spec = command.completes ?? { operands: [] };
  const byPosition = spec.operands.map((what, i): [string, ValueCompletion] => [
    `${command.name}:${i}`,
    what,
  ]);
  const byFirst = Object.entries(spec.after ?? {}).flatMap(([first, rest]) =>
    rest.map((what, i): [string, ValueCompletion] => [`${command.name}:${first}:${i + 1}`, what]),
  );
  return { byFirst, byPosition };
}

/** bash: the argument of `_vmplan_offer` for one kind of value. */
const bashOffer = (what: ValueCompletion) => (typeof what === 'string' ? `:${what}` : quote(what.join(' ')));

/** bash: commands, flags, flag values and operands (words, run ids, files, folders), each where it belongs. */
function bashScript(commands: readonly CommandSpec[]): string {
  const names = commands.map((command) => command.name);
  const perCommand = commands
    .map((command) => {
      const flags = Object.keys(command.flags).map((name) => `--${name}`);
      const values = Object.entries(command.flags)
        .filter(([, flag]) => flag.type === 'string')
        .map(([name]) => `--${name}`);
      return `    ${command.name}) flags=${quote([...flags, '--help'].join(' '))} values=${quote(` ${values.join(' ')} `)} ;;`;
    })
    .join('\n');
  const arms = (pairs: [string, ValueCompletion][]) =>
    pairs.map(([key, what]) => `    ${quote(key)}) _vmplan_offer ${bashOffer(what)} ;;`).join('\n');
  const operands = commands.map(operandKeys);
  return `# vmplan completion for bash: eval "$(vmplan completion bash)"
# The run ids in the state folder (--state-dir DIR when typed, else .vmplan at the repository root), and latest.
_vmplan_runs() {
  local dir="" i path runs="latest"
  for ((i = 2; i < COMP_CWORD; i++)); do
    if [ "\${COMP_WORDS[i]}" = --state-dir ]; then dir="\${COMP_WORDS[i+1]}"; fi
  done
  if [ -z "$dir" ]; then dir="$(git rev-parse --show-toplevel 2>/dev/null || pwd)/.vmplan"; fi
  for path in "$dir"/runs/*/; do
    if [ -d "$path" ]; then path="\${path%/}"; runs="$runs \${path##*/}"; fi
  done
  COMPREPLY=($(compgen -W "$runs" -- "$cur"))
}
# The jobs of the run named by the first operand ($first, set by _vmplan; latest when none): its jobs/ folders.
_vmplan_jobs() {
  local dir="" i path run="$first" jobs=""
  for ((i = 2; i < COMP_CWORD; i++)); do
    if [ "\${COMP_WORDS[i]}" = --state-dir ]; then dir="\${COMP_WORDS[i+1]}"; fi
  done
  if [ -z "$dir" ]; then dir="$(git rev-parse --show-toplevel 2>/dev/null || pwd)/.vmplan"; fi
  if [ -z "$run" ] || [ "$run" = latest ] || [ ! -d "$dir/runs/$run" ]; then
    # latest, or the last run whose id starts so (as vmplan resolves a unique start)
    local given="$run"; run=""
    [ "$given" = latest ] && given=""
    for path in "$dir"/runs/"$given"*/; do
      if [ -d "$path" ]; then path="\${path%/}"; run="\${path##*/}"; fi
    done
  fi
  if [ -n "$run" ]; then
    for path in "$dir/runs/$run"/jobs/*/; do
      if [ -d "$path" ]; then path="\${path%/}"; jobs="$jobs \${path##*/}"; fi
    done
  fi
  COMPREPLY=($(compgen -W "$jobs" -- "$cur"))
}
# Offers one kind of value: words, run ids, file or folder names (a folder gets no space: completion goes on
# into it), or nothing.
_vmplan_offer() {
  case "$1" in
    :runs) _vmplan_runs ;;
    :jobs) _vmplan_jobs ;;
    :files) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
    :dirs) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
    :none) COMPREPLY=() ;;
    *) COMPREPLY=($(compgen -W "$1" -- "$cur")) ;;
  esac
}
_vmplan() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" command="\${COMP_WORDS[1]}"
  local flags="" values="" i word first="" count=0
  COMPREPLY=()
  if [ "$COMP_CWORD" -eq 1 ]; then _vmplan_offer ${quote([...names, 'help'].join(' '))}; return; fi
  case "$command" in
    help) if [ "$COMP_CWORD" -eq 2 ]; then _vmplan_offer ${quote(names.join(' '))}; fi; return ;;
${perCommand}
    *) return ;;
  esac
  # A flag's value is its command's: \`run --executor\` and \`doctor --executor\` offer different ones.
  if [[ "$values" == *" $prev "* ]]; then
    case "$command $prev" in
${arms(valueFlags(commands))}
    esac
    return
  fi
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$flags" -- "$cur")); return; fi
  # Which operand this is: the words typed so far that are neither flags nor a flag's value.
  for ((i = 2; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ "$word" == -* ]]; then
      if [[ "$values" == *" $word "* ]]; then i=$((i + 1)); fi
    else
      if [ "$count" -eq 0 ]; then first="$word"; fi
      count=$((count + 1))
    fi
  done
  case "$command:$first:$count" in
${arms(operands.flatMap((o) => o.byFirst))}
    *)
      case "$command:$count" in
${arms(operands.flatMap((o) => o.byPosition))}
      esac
      ;;
  esac
}
complete -F _vmplan vmplan
`;
}

/** zsh: the `_arguments` action for one kind of value. */
function zshAction(what: ValueCompletion): string {
  if (what === 'runs') return '_vmplan_runs';
  if (what === 'jobs') return '_vmplan_jobs';
  if (what === 'files') return '_files';
  if (what === 'dirs') return '_files -/';
  if (what === 'none') return ' ';
  return `(${what.join(' ')})`;
}

/** zsh: the command that offers one kind of value, outside \`_arguments\`. */
function zshCall(what: ValueCompletion): string {
  if (what === 'none') return ':';
  if (typeof what !== 'string') return `compadd -- ${what.join(' ')}`;
  return zshAction(what);
}

/** zsh: a native completion function (_describe for commands, _arguments for each command's flags and operands). */
function zshScript(commands: readonly CommandSpec[]): string {
  const zshEscape = (text: string) =>
    text.replaceAll('\\', '\\\\').replaceAll("'", "'\\''").replaceAll(':', '\\:');
  const bracket = (text: string) => zshEscape(text).replaceAll('[', '\\[').replaceAll(']', '\\]');
  const described = commands.map(
    (command) => `    ${quote(`${command.name}:${command.summary.replaceAll(':', '\\:')}`)}`,
  );
  const afterArms: string[] = [];
  const cases = commands
    .map((command) => {
      const specs = Object.entries(command.flags).map(([name, flag]) => {
        const text = bracket(flag.description);
        if (flag.type === 'boolean') return `'--${name}[${text}]'`;
        return `'${flag.multiple === true ? '*' : ''}--${name}[${text}]:${zshEscape(flag.value ?? 'value')}:${zshAction(flagCompletion(flag))}'`;
      });
      const { byFirst } = operandKeys(command);
      const operands = command.completes?.operands ?? [];
      const positions = Math.max(operands.length, ...byFirst.map(([key]) => Number(key.split(':')[2]) + 1));
      for (let i = 0; i < positions; i++) {
        const what = operands[i];
        const action =
          i > 0 && byFirst.length > 0
            ? `{_vmplan_after ${command.name} ${i}}`
            : what === undefined
              ? ' '
              : zshAction(what);
        specs.push(quote(`${i + 1}:operand:${action}`));
      }
      for (const [key, what] of byFirst) {
        const [, first, position] = key.split(':');
        afterArms.push(`    ${quote(`${command.name}:${first}:${position}`)}) ${zshCall(what)} ;;`);
      }
      return `    ${command.name}) _arguments ${specs.join(' ')} ;;`;
    })
    .join('\n');
  return `#compdef vmplan
# vmplan completion for zsh: eval "$(vmplan completion zsh)", or save as _vmplan on your fpath
# The run ids in the state folder (--state-dir DIR when typed, else .vmplan at the repository root), and latest.
_vmplan_runs() {
  local dir=\${opt_args[--state-dir]}
  [[ -z $dir ]] && dir="$(git rev-parse --show-toplevel 2>/dev/null || pwd)/.vmplan"
  local -a runs
  runs=(latest \${~dir}/runs/*(N/:t))
  compadd -a runs
}
# The jobs of the run named by the first operand (latest when none): its jobs/ folders.
_vmplan_jobs() {
  local dir=\${opt_args[--state-dir]} run=$line[1]
  [[ -z $dir ]] && dir="$(git rev-parse --show-toplevel 2>/dev/null || pwd)/.vmplan"
  local -a runs jobs
  if [[ -z $run || $run == latest || ! -d \${~dir}/runs/$run ]]; then
    [[ $run == latest ]] && run=""
    runs=(\${~dir}/runs/$run*(N/:t))
    run=\${runs[-1]}
  fi
  [[ -n $run ]] && jobs=(\${~dir}/runs/$run/jobs/*(N/:t))
  compadd -a jobs
}
# An operand that depends on the first one (\`image build\` offers image kinds, \`image push\` folders).
_vmplan_after() {
  case "$1:$line[1]:$2" in
${afterArms.join('\n')}
  esac
}
_vmplan() {
  local -a commands
  commands=(
${described.join('\n')}
    'help:Explain a command and its flags'
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  words=("\${(@)words[2,-1]}")
  (( CURRENT-- ))
  case $words[1] in
    help) (( CURRENT == 2 )) && _describe 'command' commands ;;
${cases}
  esac
}
if [ "$funcstack[1]" = "_vmplan" ]; then _vmplan "$@"; else compdef _vmplan vmplan; fi
`;
}

/** fish: the options of a `complete` line that offer one kind of value (`-x`: a value, nothing offered). */
function fishOffer(what: ValueCompletion): string {
  if (what === 'files') return '-r -F';
  if (what === 'dirs') return "-x -a '(__fish_complete_directories (commandline -ct))'";
  if (what === 'runs') return "-x -a '(__vmplan_runs)'";
  if (what === 'jobs') return "-x -a '(__vmplan_jobs)'";
  if (what === 'none') return '-x';
  return `-x -a ${quote(what.join(' '))}`;
}

/** fish: helpers that find the state folder's runs and which operand is being completed. */
function fishHelpers(commands: readonly CommandSpec[]): string[] {
  const values = valueFlags(commands).map(([key]) => quote(key));
  return [
    `set -g __vmplan_value_flags ${values.join(' ')}`,
    '# The state folder: --state-dir DIR when typed, else .vmplan at the repository root.',
    'function __vmplan_state_dir',
    '    set -l tokens (commandline -opc)',
    '    set -l dir',
    '    if set -l i (contains -i -- --state-dir $tokens)',
    '        set dir $tokens[(math $i + 1)]',
    '    end',
    '    test -n "$dir"; or set dir (git rev-parse --show-toplevel 2>/dev/null; or pwd)/.vmplan',
    '    echo $dir',
    'end',
    '# The run ids in the state folder, and latest.',
    'function __vmplan_runs',
    '    set -l dir (__vmplan_state_dir)',
    '    echo latest',
    '    for path in $dir/runs/*/',
    '        basename $path',
    '    end',
    'end',
    '# The jobs of the run named by the first operand (latest when none): its jobs/ folders.',
    'function __vmplan_jobs',
    '    set -l tokens (commandline -opc)',
    '    set -l dir (__vmplan_state_dir)',
    '    set -l run',
    '    set -l skip 0',
    '    for token in $tokens[3..-1]',
    '        if test $skip = 1',
    '            set skip 0',
    '        else if string match -q -- "-*" $token',
    '            contains -- "$tokens[2] $token" $__vmplan_value_flags; and set skip 1',
    '        else',
    '            set run $token',
    '            break',
    '        end',
    '    end',
    '    if test -z "$run"; or test "$run" = latest; or not test -d $dir/runs/$run',
    '        test "$run" = latest; and set run ""',
    '        set -l runs $dir/runs/$run*/',
    '        test (count $runs) -gt 0; or return',
    '        set run (basename $runs[-1])',
    '    end',
    '    for path in $dir/runs/$run/jobs/*/',
    '        basename $path',
    '    end',
    'end',
    '# True when operand N (from 0) of COMMAND is being completed, after the first operand FIRST when given.',
    'function __vmplan_operand --argument-names command position first',
    '    set -l tokens (commandline -opc)',
    '    test "$tokens[2]" = "$command"; or return 1',
    '    set -l operands',
    '    set -l skip 0',
    '    for token in $tokens[3..-1]',
    '        if test $skip = 1',
    '            set skip 0',
    '        else if string match -q -- "-*" $token',
    '            contains -- "$command $token" $__vmplan_value_flags; and set skip 1',
    '        else',
    '            set -a operands $token',
    '        end',
    '    end',
    '    test $skip = 0; and test (count $operands) -eq $position; or return 1',
    '    test -z "$first"; or test "$operands[1]" = "$first"',
    'end',
  ];
}

/** fish: one `complete` line per command, per flag and per operand. */
function fishScript(commands: readonly CommandSpec[]): string {
  const lines = [
    '# vmplan completion for fish: vmplan completion fish | source',
    'complete -c vmplan -f',
    ...fishHelpers(commands),
    ...commands.map(
      (command) =>
        `complete -c vmplan -n __fish_use_subcommand -a ${command.name} -d ${quote(command.summary)}`,
    ),
    "complete -c vmplan -n __fish_use_subcommand -a help -d 'Explain a command and its flags'",
    `complete -c vmplan -n '__fish_seen_subcommand_from help' -a ${quote(commands.map((c) => c.name).join(' '))}`,
  ];
  for (const command of commands) {
    const { byFirst, byPosition } = operandKeys(command);
    for (const [key, what] of [...byPosition, ...byFirst]) {
      const [name, ...rest] = key.split(':');
      const condition = rest.length === 1 ? `${name} ${rest[0]}` : `${name} ${rest[1]} ${rest[0]}`;
      if (what === 'none') continue;
      // An operand is no option's value: no -r or -x.
      const offer = fishOffer(what).replace(/^-[rx] /, '');
      lines.push(`complete -c vmplan -n ${quote(`__vmplan_operand ${condition}`)} ${offer}`);
    }
    for (const [name, flag] of Object.entries(command.flags)) {
      const value = flag.type === 'boolean' ? '' : ` ${fishOffer(flagCompletion(flag))}`;
      lines.push(
        `complete -c vmplan -n '__fish_seen_subcommand_from ${command.name}' -l ${name}${value} -d ${quote(flag.description)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The completion script for a shell, made from the command declarations. */
export function completionScript(shell: CompletionShell, commands: readonly CommandSpec[]): string {
  if (shell === 'bash') return bashScript(commands);
  if (shell === 'zsh') return zshScript(commands);
  return fishScript(commands);
}
