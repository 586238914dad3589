import { inspect } from 'node:util';

/** How the CLI may draw on a stream: colours, and a live status line redrawn in place. */
export interface TerminalMode {
  color: boolean;
  /** A status line at the bottom (only on an interactive terminal, never in CI). */
  live: boolean;
  /** Columns, for cutting the status line to one row. */
  columns: number;
}

/** Text styles the CLI uses. */
export type Style = 'red' | 'green' | 'yellow' | 'cyan' | 'dim' | 'bold' | 'gray';

/**
 * Decides colours and the live line the way the tools people know do: FORCE_COLOR wins (0/false turn colours
 * off), then NO_COLOR (any non-empty value turns them off), then colours only on a terminal that is not "dumb"
 * and not in CI. The live line needs a real terminal, outside CI.
 */
export function terminalMode(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv): TerminalMode {
  const tty = (stream as { isTTY?: boolean }).isTTY === true;
  const interactive = tty && env.TERM !== 'dumb' && !isCi(env);
  const force = env.FORCE_COLOR;
  let color: boolean;
  if (force !== undefined) color = force !== '0' && force.toLowerCase() !== 'false';
  else if ((env.NO_COLOR ?? '') !== '') color = false;
  else color = interactive;
  // A terminal of unknown size (a pty nobody sized) reports 0 columns.
  const columns = (stream as { columns?: number }).columns || 80;
  return { color, live: interactive, columns };
}

/** True on a CI service (they set CI; GitHub Actions also sets GITHUB_ACTIONS). */
function isCi(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI;
  return (
    (ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false') ||
    env.GITHUB_ACTIONS === 'true'
  );
}

/** A painter for a mode: styles text when colours are on, else returns it as it is. */
export function painter(mode: Pick<TerminalMode, 'color'>): (style: Style, text: string) => string {
  if (!mode.color) return (_style, text) => text;
  // Node's own table of SGR codes (what util.styleText uses), without styleText's check of process.stdout:
  // the decision above is made for the stream actually written to.
  return (style, text) => {
    const [open, close] = inspect.colors[style] ?? [0, 0];
    return `\x1b[${open}m${text}\x1b[${close}m`;
  };
}
