const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB'];

/** A size for people: "812 bytes", "14.2 MB", "1.3 GB" (powers of 1000, like Finder and `du -h --si`). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${UNITS[unit]}`;
}
