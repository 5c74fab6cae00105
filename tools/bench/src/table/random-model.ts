// A random-weight GPT-J checkpoint (config.json + one f16 model.safetensors) of a shape smaller than 6B, for
// the bench table on machines without a 6B checkpoint. Weights cycle through one pool of small random f16
// values (uniform, std 0.02, the HF initializer's scale); layer norms are 1 and 0 so the forward stays finite.
// (tools/gen-checkpoint writes the 6B width only; this writes any shape.)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { gptjTensorShapes, parseGPTJConfig, type TensorSource, writeSafetensors } from '@gptj/model';

import { randomArray } from './random.js';

export interface ModelShape {
  n_layer: number;
  n_embd: number;
  n_head: number;
  rotary_dim: number;
  vocab_size: number;
  n_positions: number;
}

/** Default of `pnpm bench` without --model: 6 layers of width 1024 and GPT-J's vocabulary, 0.2 G parameters. */
export const SMALL_SHAPE: ModelShape = { n_layer: 6, n_embd: 1024, n_head: 16, rotary_dim: 64, vocab_size: 50400, n_positions: 2048 };
/** --tiny (the package's test): seconds, not minutes. */
export const TINY_SHAPE: ModelShape = { n_layer: 2, n_embd: 128, n_head: 4, rotary_dim: 16, vocab_size: 512, n_positions: 256 };

const POOL = 1 << 20;

/** Round-to-nearest-even f32 -> f16 bits for values well inside f16's normal range (|x| < 0.05 here). */
function halfBits(f32: Float32Array): Uint16Array {
  const out = new Uint16Array(f32.length);
  const bits = new Uint32Array(f32.buffer, f32.byteOffset, f32.length);
  for (let i = 0; i < f32.length; i++) {
    const b = bits[i] ?? 0;
    const sign = (b >>> 16) & 0x8000,
      exp = ((b >>> 23) & 0xff) - 112,
      mant = b & 0x7fffff;
    if (exp <= 0) {
      out[i] = sign; // below f16's normal range: signed zero
      continue;
    }
    let h = sign | (exp << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
    out[i] = h;
  }
  return out;
}

export function writeRandomModel(dir: string, shape: ModelShape): void {
  const configJson = { model_type: 'gptj', architectures: ['GPTJForCausalLM'], n_inner: null, torch_dtype: 'float16', ...shape };
  const config = parseGPTJConfig(configJson);
  const pool = new Uint8Array(halfBits(randomArray(POOL, 7, 0.0346)).buffer);
  let start = 0;
  const tensors: TensorSource[] = [...gptjTensorShapes(config)].map(([name, dims]) => {
    const bytes = 2 * dims.reduce((a, b) => a * b, 1);
    const norm = /ln_\d|ln_f/.test(name);
    const from = (start = (start + 7919 * 2) % pool.length);
    return {
      name,
      dtype: 'F16',
      shape: dims,
      data: function* () {
        if (norm) {
          yield new Uint8Array(new Uint16Array(bytes / 2).fill(name.endsWith('.weight') ? 0x3c00 : 0).buffer);
          return;
        }
        for (let at = from, left = bytes; left > 0; at = 0) {
          const n = Math.min(left, pool.length - at);
          yield pool.subarray(at, at + n);
          left -= n;
        }
      },
    };
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configJson, null, 2));
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
}
