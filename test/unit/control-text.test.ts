import { describe, expect, it } from 'vitest';
import { codeSpan, markdownInline, markdownLines, plainText } from '../../src/report/markdown.js';
import { terminalText } from '../../src/util/control-text.js';

const ESC = '\x1b';

describe('terminalText', () => {
  it('makes controls visible, keeps LF, TAB and CRLF, and SGR only when asked', () => {
    expect(terminalText(`a\tb\r\nc\rd\x07\x00\x7f`)).toBe('a\tb\r\nc␍d␇␀␡');
    expect(terminalText(`${ESC}]52;c;eA==${ESC}\\`)).toBe('␛]52;c;eA==␛\\');
    expect(terminalText('\u009b2J \u202etxt.exe')).toBe('<U+009B>2J <U+202E>txt.exe');
    expect(terminalText(`${ESC}[1;31mred${ESC}[0m`, { keepSgr: true })).toBe(`${ESC}[1;31mred${ESC}[0m`);
    expect(terminalText(`${ESC}[1;31mred`)).toBe('␛[1;31mred');
    expect(terminalText(`${ESC}[2J${ESC}[H`, { keepSgr: true })).toBe('␛[2J␛[H');
  });
});

describe('Markdown escaping', () => {
  it('leaves no HTML, mention, heading, table cell or link, and is idempotent on mentions', () => {
    expect(markdownInline('<img src=x> @bob | `x` #1 [a](b)\nnext')).toBe(
      '&lt;img src=x&gt; @\u200bbob &#124; &#96;x&#96; &#35;1 &#91;a&#93;(b) next',
    );
    expect(plainText(plainText('@bob'))).toBe('@\u200bbob');
    expect(markdownLines('- item\n1. first\n=== \n# head')).toBe(
      '&#45; item\n1&#46; first\n&#61;== \n&#35; head',
    );
    expect(codeSpan('a`b|c', true)).toBe("`a'b\\|c`");
  });
});
