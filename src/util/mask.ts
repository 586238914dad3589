/** What replaces a secret value in any text vmplan prints or writes. */
export const MASK = '***';

/**
 * Replaces secret values in text. Multi-line secrets are also masked line by line, since output is
 * processed a line at a time.
 */
export class Masker {
  private readonly values: string[];

  constructor(secrets: Iterable<string>) {
    const values = new Set<string>();
    for (const secret of secrets) {
      if (secret.trim() === '') continue;
      values.add(secret);
      for (const line of secret.split(/\r?\n/)) if (line.trim() !== '') values.add(line);
    }
    // Longest first, so a secret containing another is masked whole.
    this.values = [...values].sort((a, b) => b.length - a.length);
  }

  /** True when there is nothing to mask. */
  get empty(): boolean {
    return this.values.length === 0;
  }

  /** Length of the longest secret value (0 when there are none). */
  get longest(): number {
    return this.values[0]?.length ?? 0;
  }

  /**
   * Where to cut `text` near `at` without splitting a secret value: at `at`, or earlier, at the start of a value
   * that would straddle the cut. `text` must extend at least `longest` characters past `at`.
   */
  safeCut(text: string, at: number): number {
    let cut = at;
    for (let moved = true; moved; ) {
      moved = false;
      for (const value of this.values) {
        // Only an occurrence starting in the last value.length - 1 characters before the cut can straddle it.
        const from = Math.max(0, cut - value.length + 1);
        const found = text.slice(from, cut + value.length - 1).indexOf(value);
        if (found !== -1 && from + found < cut) {
          cut = from + found;
          moved = true;
        }
      }
    }
    // Only a secret longer than a whole piece could start at 0; cut where asked rather than loop forever.
    return cut > 0 ? cut : at;
  }

  /** The text with every secret value replaced by ***. */
  mask(text: string): string {
    let result = text;
    for (const value of this.values) if (result.includes(value)) result = result.split(value).join(MASK);
    return result;
  }
}
