// Random GPT-J weights, streamed: a 32 MiB pool of random values (std ~0.02, like the HF initializer) is
// generated once and each tensor cycles through it from its own start, so a 24 GB checkpoint is written
// without holding more than the pool and one chunk. LayerNorm weights are 1 and its biases 0, so a forward
// on these weights stays finite.
import { type GPTJConfig, type TensorSource, gptjTensorShapes } from '@gptj/model';

const POOL_ELEMENTS = 8 << 20;
const CHUNK_ELEMENTS = 4 << 20;

export type RandomDType = 'F16' | 'F32';

export function randomGptjTensors(config: GPTJConfig, dtype: RandomDType, seed = 1): TensorSource[] {
  const pool = randomPool(dtype, seed);
  let start = 0;
  return [...gptjTensorShapes(config)].map(([name, shape]) => {
    const numel = shape.reduce((a, b) => a * b, 1);
    const fill = /ln_\d|ln_f/.test(name) ? (name.endsWith('.weight') ? 1 : 0) : null;
    const from = (start = (start + 7919 * 17) % POOL_ELEMENTS);
    return { name, dtype, shape, data: () => (fill === null ? cycle(pool, from, numel) : constant(dtype, fill, numel)) };
  });
}

function* cycle(pool: Uint16Array | Float32Array, from: number, numel: number): Iterable<Uint8Array> {
  const bytesPer = pool.BYTES_PER_ELEMENT;
  let at = from;
  for (let left = numel; left > 0; ) {
    const n = Math.min(left, CHUNK_ELEMENTS, pool.length - at);
    yield new Uint8Array(pool.buffer, at * bytesPer, n * bytesPer);
    left -= n;
    at = (at + n) % pool.length;
  }
}

function* constant(dtype: RandomDType, value: number, numel: number): Iterable<Uint8Array> {
  const a = dtype === 'F32' ? new Float32Array(numel).fill(value) : new Uint16Array(numel).fill(value === 1 ? 0x3c00 : 0);
  yield new Uint8Array(a.buffer);
}

function randomPool(dtype: RandomDType, seed: number): Uint16Array | Float32Array {
  const f32 = new Float32Array(POOL_ELEMENTS);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < f32.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5; // xorshift32
    f32[i] = ((s >>> 0) / 2 ** 32 - 0.5) * 0.0693; // uniform, std 0.02
  }
  return dtype === 'F32' ? f32 : toHalfBits(f32);
}

// Round-to-nearest f32 -> f16 bits for the small normal values of the pool (|x| < 0.035, no overflow).
function toHalfBits(f32: Float32Array): Uint16Array {
  const bits = new Uint32Array(f32.buffer);
  const out = new Uint16Array(f32.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i]!;
    const sign = (b >>> 16) & 0x8000;
    const exp = ((b >>> 23) & 0xff) - 127 + 15;
    if (exp <= 0) {
      out[i] = sign;
      continue;
    } // flush tiny values to zero
    const mant = b & 0x7fffff;
    out[i] = sign | ((exp << 10) + ((mant + 0x1000) >>> 13)); // rounding may carry into the exponent
  }
  return out;
}
