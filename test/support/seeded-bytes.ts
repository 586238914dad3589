// Pseudo-random bytes from a seed: tests whose outcome depends on where content-defined boundaries fall cut
// the same bytes on every run, so they cannot pass or fail by chance.

/** `length` deterministic pseudo-random bytes (xorshift32 from `seed`, which must not be 0). */
export function seededBytes(length: number, seed: number): Buffer {
  const words = new Uint32Array(Math.ceil(length / 4));
  let state = seed;
  for (let index = 0; index < words.length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    words[index] = state >>> 0;
  }
  return Buffer.from(words.buffer, 0, length);
}
