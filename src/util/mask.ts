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

  /** The text with every secret value replaced by ***. */
  mask(text: string): string {
    let result = text;
    for (const value of this.values) if (result.includes(value)) result = result.split(value).join(MASK);
    return result;
  }
}
