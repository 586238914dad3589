import { terminalText } from '../util/control-text.js';

// Text a job controls (result messages, test names and messages, descriptions, notes) goes into GitHub Markdown:
// the step summary and check runs. GitHub renders raw HTML there (<img>, <details>), @mentions notify people,
// #123 links issues, and headings, lists and links change the page. Escaped, such text is shown, never obeyed.

/**
 * Characters that make HTML, tables, code, headings, references or links in GitHub Markdown, as HTML entities.
 * Emphasis (`*`, `_`, `~`) is left alone: it changes how text looks, not what the page does.
 */
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '|': '&#124;',
  '`': '&#96;',
  '#': '&#35;',
  '[': '&#91;',
  ']': '&#93;',
  '\\': '&#92;',
};

/** A zero-width space after every `@`: the text still reads `@name`, but GitHub mentions nobody. */
function breakMentions(text: string): string {
  return text.replace(/@(?!\u200b)/g, '@\u200b');
}

/**
 * Job-derived text for one line of GitHub Markdown (a table cell, a list item, a summary line): controls made
 * visible, line breaks as spaces, every Markdown and HTML character an entity, mentions broken.
 */
export function markdownInline(text: string): string {
  const flat = terminalText(text.replace(/\r?\n/g, ' '));
  return breakMentions(flat.replace(/[&<>|`#[\]\\]/g, (char) => ENTITIES[char]!));
}

/**
 * Job-derived text of several lines for GitHub Markdown: each line as `markdownInline`, a leading `-`, `+`, `*`,
 * `=` or `1.` escaped too (lists and underline headings), lines kept apart.
 */
export function markdownLines(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) =>
      markdownInline(line)
        .replace(/^(\s*)([-+*=])/, (_all, space: string, char: string) => `${space}&#${char.charCodeAt(0)};`)
        .replace(/^(\s*\d+)([.])/, '$1&#46;'),
    )
    .join('\n');
}

/**
 * Job-derived text in a code span: HTML and mentions are inert there, but a backtick would end it and a line
 * break would end the line. In a table cell, `|` is escaped as the table needs.
 */
export function codeSpan(text: string, inTable = false): string {
  const inner = terminalText(text.replace(/\r?\n/g, ' ')).replace(/`/g, "'");
  return `\`${inTable ? inner.replace(/\|/g, '\\|') : inner}\``;
}

/** Job-derived text in a fenced code block opened with ``` : no closing fence inside, controls visible. */
export function fencedText(text: string): string {
  return terminalText(text).replaceAll('```', "'''");
}

/**
 * Job-derived text GitHub shows as plain text (annotation messages and titles): controls made visible (line breaks
 * kept), mentions broken; HTML is not rendered there, so it is left as it is.
 */
export function plainText(text: string): string {
  return breakMentions(terminalText(text));
}
