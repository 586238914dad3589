// Job output and every text a job controls are shown to people: on a terminal, where control sequences act (OSC 0/2
// set the window title, OSC 8 makes hyperlinks, OSC 52 writes the clipboard, CSI clears the screen or moves the
// cursor), and in GitHub's Markdown. Here they are made visible instead: ESC becomes ␛, C0 controls their Control
// Pictures (␇, ␈, …), C1 controls and bidirectional overrides their code point (<U+009B>, <U+202E>). Line feeds
// and tabs stay; a carriage return stays only as part of CRLF.

/** SGR (colours and type styles): `ESC [ digits;… m`, the one sequence kept where asked. */
const SGR = '\\x1b\\[[0-9;:]{0,64}m';
/** Controls other than LF and TAB; CR not before LF; C1; the Unicode bidi overrides and isolates. */
const CONTROL = '[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069]|\\r(?!\\n)';
const WITH_SGR = new RegExp(`${SGR}|${CONTROL}`, 'g');
const WITHOUT_SGR = new RegExp(CONTROL, 'g');

/** One control character as visible text. */
function visible(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '␡';
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
}

/**
 * Text safe to write to a terminal: every control character except LF, TAB and the CR of a CRLF made visible, so
 * no escape sequence acts; with `keepSgr`, well-formed SGR sequences (colours, bold) stay as they are.
 */
export function terminalText(text: string, options: { keepSgr?: boolean } = {}): string {
  const pattern = options.keepSgr === true ? WITH_SGR : WITHOUT_SGR;
  return text.replace(pattern, (match) => (match.length > 1 && match !== '\r' ? match : visible(match)));
}
