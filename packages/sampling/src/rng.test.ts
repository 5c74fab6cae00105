import { describe, expect, it } from 'vitest';
import { Xoshiro128 } from './rng.js';

/** xoshiro128** written from the paper with BigInt arithmetic (no 32-bit JS tricks), as an independent reference. */
const M = 0xffffffffn;
const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;

function step(s: bigint[]): number {
  const result = (rotl((s[1]! * 5n) & M, 7n) * 9n) & M;
  const t = (s[1]! << 9n) & M;
  s[2]! ^= s[0]!;
  s[3]! ^= s[1]!;
  s[1]! ^= s[2]!;
  s[0]! ^= s[3]!;
  s[2]! ^= t;
  s[3] = rotl(s[3]!, 11n);
  return Number(result);
}

function* reference(s: bigint[]): Generator<number> {
  for (;;) yield step(s);
}

/** The paper's jump(): xor together the states at the set bits of the jump polynomial. */
function jump(s: bigint[]): void {
  const acc = [0n, 0n, 0n, 0n];
  for (const word of [0x8764000bn, 0xf542d2d3n, 0x6fa035c3n, 0x77f2db5bn]) {
    for (let b = 0n; b < 32n; b++) {
      if ((word >> b) & 1n) for (let i = 0; i < 4; i++) acc[i]! ^= s[i]!;
      step(s);
    }
  }
  for (let i = 0; i < 4; i++) s[i] = acc[i]!;
}

/** Seeding as documented: four splitmix32 outputs from the seed (last one forced odd), then `stream` jumps. */
function seededReference(seed: number, stream: number): Generator<number> {
  let x = BigInt(seed >>> 0);
  const splitmix = () => {
    x = (x + 0x9e3779b9n) & M;
    let z = x;
    z = ((z ^ (z >> 16n)) * 0x85ebca6bn) & M;
    z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) & M;
    return z ^ (z >> 16n);
  };
  const s = [splitmix(), splitmix(), splitmix(), splitmix() | 1n];
  for (let i = 0; i < stream; i++) jump(s);
  return reference(s);
}

describe('xoshiro128**', () => {
  it('first output from state (1, 2, 3, 4) is rotl(2 * 5, 7) * 9 = 11520', () => {
    expect(new Xoshiro128(1, 2, 3, 4).nextUint32()).toBe(11520);
  });

  it('matches a BigInt reference for 2000 outputs from an arbitrary state', () => {
    const state = [0x9e3779b9, 0x7f4a7c15, 0xf39cc060, 0x5ced1234];
    const rng = new Xoshiro128(state[0]!, state[1]!, state[2]!, state[3]!);
    const ref = reference(state.map(BigInt));
    for (let i = 0; i < 2000; i++) expect(rng.nextUint32()).toBe(ref.next().value);
  });

  it('seeded streams: deterministic, distinct per seed and per stream, floats in [0, 1)', () => {
    const take = (r: Xoshiro128) => Array.from({ length: 8 }, () => r.nextUint32());
    expect(take(Xoshiro128.seeded(7, 2))).toEqual(take(Xoshiro128.seeded(7, 2)));
    expect(take(Xoshiro128.seeded(7, 0))).not.toEqual(take(Xoshiro128.seeded(8, 0)));
    expect(take(Xoshiro128.seeded(7, 0))).not.toEqual(take(Xoshiro128.seeded(7, 1)));
    const r = Xoshiro128.seeded(0);
    let sum = 0;
    for (let i = 0; i < 10000; i++) {
      const f = r.nextFloat();
      expect(f >= 0 && f < 1).toBe(true);
      sum += f;
    }
    expect(Math.abs(sum / 10000 - 0.5)).toBeLessThan(0.02);
  });

  it('seeding and stream jumps match the BigInt reference', () => {
    for (const [seed, stream] of [
      [0, 0],
      [42, 1],
      [0xffffffff, 3],
    ] as const) {
      const rng = Xoshiro128.seeded(seed, stream);
      const ref = seededReference(seed, stream);
      for (let i = 0; i < 200; i++) expect(rng.nextUint32()).toBe(ref.next().value);
    }
  });
});
