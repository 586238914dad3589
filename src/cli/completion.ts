import type { CommandSpec } from './spec.js';

/** Shells `vmplan completion` writes a script for. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
/** A shell vmplan completes in. */
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** Words shells must not expand: single-quoted, with single quotes escaped the POSIX way. */
const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

/** Every flag that takes a value, by command (`run --executor`), with the values to offer (empty: a file name). */
function valueFlags(commands: readonly CommandSpec[]): Map<string, readonly string[]> {
  const flags = new Map<string, readonly string[]>();
  for (const command of commands)
    for (const [name, flag] of Object.entries(command.flags))
      if (flag.type === 'string') flags.set(`${command.name} --${name}`, flag.choices ?? []);
  return flags;
}

/** bash: commands, each command's flags, and the choices of flags that have them; file names otherwise. */
function bashScript(commands: readonly CommandSpec[]): string {
  const names = [...commands.map((command) => command.name), 'help'].join(' ');
  const perCommand = commands
    .map((command) => {
      const flags = Object.keys(command.flags).map((name) => `--${name}`);
      return `    ${command.name}) flags=${quote([...flags, '--help'].join(' '))} ;;`;
    })
    .join('\n');
  const choices = [...valueFlags(commands)]
    .map(([key, values]) =>
      values.length > 0
        ? `    ${quote(key)}) COMPREPLY=($(compgen -W ${quote(values.join(' '))} -- "$cur")); return ;;`
        : `    ${quote(key)}) COMPREPLY=($(compgen -f -- "$cur")); return ;;`,
    )
    .join('\n');
  return `# vmplan completion for bash: eval "$(vmplan completion bash)"
_vmplan() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" flags=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W ${quote(names)} -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
    help) COMPREPLY=($(compgen -W ${quote(commands.map((command) => command.name).join(' '))} -- "$cur")); return ;;
    completion) COMPREPLY=($(compgen -W 'bash zsh fish' -- "$cur")); return ;;
${perCommand}
  esac
  # A flag's values are its command's: \`run --executor\` and \`doctor --executor\` offer different ones.
  case "\${COMP_WORDS[1]} $prev" in
${choices}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _vmplan vmplan
`;
}

/** zsh: a native completion function (_describe for commands, _arguments for each command's flags). */
function zshScript(commands: readonly CommandSpec[]): string {
  const zshEscape = (text: string) =>
    text.replaceAll('\\', '\\\\').replaceAll("'", "'\\''").replaceAll(':', '\\:');
  const bracket = (text: string) => zshEscape(text).replaceAll('[', '\\[').replaceAll(']', '\\]');
  const described = commands.map(
    (command) => `    ${quote(`${command.name}:${command.summary.replaceAll(':', '\\:')}`)}`,
  );
  const cases = commands
    .map((command) => {
      const specs = Object.entries(command.flags).map(([name, flag]) => {
        const text = bracket(flag.description);
        if (flag.type === 'boolean') return `'--${name}[${text}]'`;
        const action = flag.choices === undefined ? '_files' : `(${flag.choices.join(' ')})`;
        return `'${flag.multiple === true ? '*' : ''}--${name}[${text}]:${zshEscape(flag.value ?? 'value')}:${action}'`;
      });
      return `    ${command.name}) _arguments ${[...specs, "'*:file:_files'"].join(' ')} ;;`;
    })
    .join('\n');
  return `#compdef vmplan
# vmplan completion for zsh: eval "$(vmplan completion zsh)", or save as _vmplan on your fpath
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
    help) _describe 'command' commands ;;
    completion) _values 'shell' bash zsh fish ;;
${cases}
  esac
}
if [ "$funcstack[1]" = "_vmplan" ]; then _vmplan "$@"; else compdef _vmplan vmplan; fi
`;
}

/** fish: one `complete` line per command and per flag. */
function fishScript(commands: readonly CommandSpec[]): string {
  const lines = [
    '# vmplan completion for fish: vmplan completion fish | source',
    'complete -c vmplan -f',
    ...commands.map(
      (command) =>
        `complete -c vmplan -n __fish_use_subcommand -a ${command.name} -d ${quote(command.summary)}`,
    ),
    "complete -c vmplan -n __fish_use_subcommand -a help -d 'Explain a command and its flags'",
    `complete -c vmplan -n '__fish_seen_subcommand_from help' -a ${quote(commands.map((c) => c.name).join(' '))}`,
    "complete -c vmplan -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'",
  ];
  for (const command of commands) {
    lines.push(`complete -c vmplan -n '__fish_seen_subcommand_from ${command.name}' -F`);
    for (const [name, flag] of Object.entries(command.flags)) {
      const value =
        flag.type === 'boolean'
          ? ''
          : flag.choices === undefined
            ? ' -r -F'
            : ` -x -a ${quote(flag.choices.join(' '))}`;
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
