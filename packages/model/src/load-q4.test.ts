// dtype 'q4' at load: the demo checkpoint (f16, Python source) quantized to 4-bit matrices runs the CPU runner
// and generates, and its next-token distributions stay close to the f32 model's, which the transformers
// reference (samples.json: greedy continuations in f32) checks first. q4 on CUDA is refused by name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceError } from '@gptj/tensor';
import { miniCodeDir } from '@gptj/mini-code';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GPTJModel, loadModel, weightDTypes } from './index.js';
import { resolveDevice } from './device.js';
import { argmax } from './test-support/compare.js';
import { at } from './at.js';

interface Sample {
  prompt_ids: number[];
  new_ids: number[];
}
const samples = (JSON.parse(readFileSync(join(miniCodeDir, 'samples.json'), 'utf8')) as { samples: Sample[] }).samples.slice(0, 4);

/** Mean KL(p || q) in nats per position over rows of logits [T, V]. */
function meanKL(p: Float32Array, q: Float32Array, V: number): number {
  const logSoftmax = (a: Float32Array) => {
    let m = -Infinity,
      s = 0;
    for (const x of a) m = Math.max(m, x);
    for (const x of a) s += Math.exp(x - m);
    return Array.from(a, (x) => x - m - Math.log(s));
  };
  let kl = 0;
  const T = p.length / V;
  for (let t = 0; t < T; t++) {
    const lp = logSoftmax(p.subarray(t * V, (t + 1) * V)),
      lq = logSoftmax(q.subarray(t * V, (t + 1) * V));
    for (let i = 0; i < V; i++) kl += Math.exp(lp[i]!) * (lp[i]! - lq[i]!); // both rows hold V values
  }
  return kl / T;
}

async function logitsOf(m: GPTJModel, ids: number[]): Promise<Float32Array> {
  const t = await m.forward([ids]);
  const a = t.toFloat32Array();
  t.dispose();
  return a;
}

describe("dtype 'q4' on the mini-code checkpoint", () => {
  let f32: GPTJModel, q4: GPTJModel;
  beforeAll(async () => {
    [f32, q4] = await Promise.all([loadModel(miniCodeDir, { dtype: 'f32' }), loadModel(miniCodeDir, { dtype: 'q4' })]);
  });
  afterAll(() => {
    f32.dispose();
    q4.dispose();
  });

  it('keeps matrices in q4 and the embedding in f16', () => {
    expect(q4.dtype).toBe('q4');
    expect(at(q4.weights.layers, 0).fcIn.dtype).toBe('q4');
    expect(q4.weights.lmHead.dtype).toBe('q4');
    expect(q4.weights.wte.dtype).toBe('f16');
  });

  it("generates: greedy decoding through the CPU runner follows the f32 reference's continuation for its first tokens", async () => {
    for (const s of samples.slice(0, 2)) {
      const session = q4.createSession(1, 64);
      let logits = await session.forward([s.prompt_ids]);
      const got: number[] = [];
      for (let i = 0; i < 8; i++) {
        const best = argmax(logits);
        got.push(best);
        logits = await session.forward([[best]]);
      }
      session.dispose();
      expect(got.slice(0, 4)).toEqual(s.new_ids.slice(0, 4));
    }
  });

  it('stays within 0.2 nats per token (KL to the f32 model) on Python source; the f32 model matches transformers', async () => {
    let kl = 0;
    for (const s of samples) {
      const ids = [...s.prompt_ids, ...s.new_ids.slice(0, 24)];
      const [p, q] = [await logitsOf(f32, ids), await logitsOf(q4, ids)];
      // the reference: the f32 model's argmax after the prompt is transformers' first greedy token
      const V = f32.config.vocabSize,
        last = (s.prompt_ids.length - 1) * V;
      const row = p.subarray(last, last + V);
      expect(row.indexOf(Math.max(...row))).toBe(s.new_ids[0]);
      kl += meanKL(p, q, V) / samples.length;
    }
    console.log(`q4 KL to f32: ${kl.toFixed(4)} nats per token`);
    expect(kl).toBeGreaterThan(0); // q4 does change the weights
    expect(kl).toBeLessThan(0.2); // tools/bench/scripts/quality.mjs measured 0.088 on longer Python files
  });
});

describe("dtype 'q4' and the device", () => {
  it("is refused on CUDA with a DeviceError naming it; 'auto' takes the CPU for it", () => {
    expect(() => weightDTypes('cuda', 'f16', 'q4')).toThrow(DeviceError);
    expect(() => weightDTypes('cuda', 'f16', 'q4')).toThrow(/dtype 'q4' runs on the CPU only/);
    expect(weightDTypes('cpu', 'f32', 'q4')).toEqual({ matrix: 'q4', embedding: 'f16' });
    expect(resolveDevice('auto', () => ({ available: true }), 'q4')).toBe('cpu');
    expect(resolveDevice('auto', () => ({ available: true }), 'q8')).toBe('cuda');
  });
});
