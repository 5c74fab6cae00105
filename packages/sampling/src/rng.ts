// xoshiro128** (Blackman & Vigna, 2018): 128-bit state, 32-bit outputs, only 32-bit integer ops (Math.imul, >>>),
// so the stream is bit-identical on every platform and JS engine. Seeded through splitmix32 so that any seed,
// including 0, gives a well-mixed non-zero state.

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Raw state constructor (four uint32, not all zero); use `Xoshiro128.seeded` for seeds. */
  constructor(a: number, b: number, c: number, d: number) {
    if ((a | b | c | d) === 0) throw new RangeError('xoshiro128** state must not be all zero');
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
  }

  /**
   * Generator for (seed, stream): the same pair gives the same sequence everywhere. Stream r starts 2^64 * r draws
   * into the seed's sequence (r calls of `jump`), so streams never overlap in practice.
   */
  static seeded(seed: number, stream = 0): Xoshiro128 {
    const st = { s: seed | 0 };
    const rng = new Xoshiro128(splitmix32(st), splitmix32(st), splitmix32(st), splitmix32(st) | 1);
    for (let i = 0; i < stream; i++) rng.jump();
    return rng;
  }

  /** Advances the state by 2^64 draws (the reference jump polynomial of xoshiro128**). */
  jump(): void {
    let a = 0,
      b = 0,
      c = 0,
      d = 0;
    for (const word of JUMP) {
      for (let bit = 0; bit < 32; bit++) {
        if ((word >>> bit) & 1) {
          a ^= this.a;
          b ^= this.b;
          c ^= this.c;
          d ^= this.d;
        }
        this.nextUint32();
      }
    }
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
  }

  /** Next uint32. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits (two draws). */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }
}

const JUMP = [0x8764000b, 0xf542d2d3, 0x6fa035c3, 0x77f2db5b];

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
