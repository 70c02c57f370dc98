// Mutation fuzzing from real inputs: a seeded PRNG (a failure reproduces) and the mutations applied
// to captured bodies: flip a few bytes, truncate, duplicate a slice, or splice in random bytes.

export type Random = () => number;

/** mulberry32: a tiny seeded PRNG. */
export function prng(seed: number): Random {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mutate(input: Uint8Array, random: Random): Buffer {
  const bytes = Buffer.from(input);
  const at = Math.floor(random() * bytes.length);
  switch (Math.floor(random() * 4)) {
    case 0:
      for (let i = 0; i < 1 + random() * 4; i++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      return bytes;
    case 1:
      return bytes.subarray(0, at);
    case 2:
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.floor(random() * at))]);
    default:
      return Buffer.concat([bytes.subarray(0, at), Buffer.from(Array.from({ length: 8 }, () => Math.floor(random() * 256))), bytes.subarray(at)]);
  }
}
