// The native GPT-J runner against a GPT-J forward composed from CPU ops (full recompute, no cache)
// on a small random model: prefill with left padding, decode steps (the later ones replayed from
// the captured CUDA graph), the argmax-only output, and beam-search reordering. f16/bf16/q8 weights;
// the reference uses the same weights widened to f32, so the only differences are the runner's
// f16 activations and KV cache (1e-2 relative). Skipped with the reason where CUDA is unavailable.
import { describe, expect, it } from 'vitest';
import {
  Tensor, add, attention, cast, cudaAvailable, embedding, gelu, layerNorm, linear, rotary, slice, transpose,
  createGPTJRunner, type DType, type GPTJRunnerConfig, type GPTJRunnerWeights,
} from '../index.js';
import { rng } from '../testing/reference.js';


const cfg: GPTJRunnerConfig = { vocabSize: 96, nEmbd: 64, nLayer: 2, nHead: 4, nInner: 256, rotaryDim: 8, layerNormEpsilon: 1e-5 };
const Dh = cfg.nEmbd / cfg.nHead;

interface Model { ref: GPTJRunnerWeights; dev: GPTJRunnerWeights }

/** Random weights: `dev` in the runner's dtypes on the device, `ref` the same values as f32 on the CPU. */
function makeModel(wdt: DType, seed: number): Model {
  const r = rng(seed);
  const rand = (shape: number[], amp: number, off = 0) =>
    Tensor.fromArray(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => off + r() * amp), shape);
  const pair = (t: Tensor, dt: DType) => {
    const stored = dt === 'f32' ? t : cast(t, dt);
    const ref = dt === 'f32' ? stored : cast(stored, 'f32');
    const dev = stored.to('cuda');
    if (stored !== t) t.dispose();
    if (ref !== stored) stored.dispose();
    return { ref, dev };
  };
  const D = cfg.nEmbd, I = cfg.nInner, V = cfg.vocabSize;
  const mat = (n: number, k: number) => pair(rand([n, k], 0.25), wdt);
  const vec = (n: number, amp: number, off = 0, dt: DType = 'f32') => pair(rand([n], amp, off), dt);
  const split = <K extends string>(o: Record<K, { ref: Tensor; dev: Tensor }>, side: 'ref' | 'dev') =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, (v as { ref: Tensor; dev: Tensor })[side]])) as Record<K, Tensor>;
  const top = { wte: pair(rand([V, D], 1), 'f16'), lnfGamma: vec(D, 0.2, 1, 'f16'), lnfBeta: vec(D, 0.2, 0, 'f16'), lmHead: mat(V, D), lmHeadBias: vec(V, 0.1) };
  const layers = Array.from({ length: cfg.nLayer }, () => ({
    lnGamma: vec(D, 0.2, 1, 'f16'), lnBeta: vec(D, 0.2, 0, 'f16'),
    q: mat(D, D), k: mat(D, D), v: mat(D, D), out: mat(D, D),
    fcIn: mat(I, D), fcInBias: vec(I, 0.1), fcOut: pair(rand([D, I], 0.12), wdt), fcOutBias: vec(D, 0.1),
  }));
  const side = (s: 'ref' | 'dev'): GPTJRunnerWeights => ({ ...split(top, s), layers: layers.map((l) => split(l, s)) } as GPTJRunnerWeights);
  return { ref: side('ref'), dev: side('dev') };
}

function disposeWeights(w: GPTJRunnerWeights): void {
  for (const t of [w.wte, w.lnfGamma, w.lnfBeta, w.lmHead, w.lmHeadBias]) t.dispose();
  for (const l of w.layers) for (const t of Object.values(l)) t.dispose();
}

/** GPT-J forward with CPU ops over the whole sequence: logits of the last position, [B * V]. */
function reference(w: GPTJRunnerWeights, ids: number[][], mask: number[][]): Float32Array {
  const B = ids.length, T = ids[0].length, { nEmbd: D, nHead: H, rotaryDim, layerNormEpsilon: eps } = cfg;
  const keep: Tensor[] = [];
  const k = <T extends Tensor>(t: T): T => (keep.push(t), t);
  const pos = mask.flatMap((row) => { let c = 0; return row.map((m) => (m ? c++ : 1)); });
  const idsT = k(Tensor.fromArray(Int32Array.from(ids.flat()), [B, T]));
  const posT = k(Tensor.fromArray(Int32Array.from(pos), [B, T]));
  const maskT = k(Tensor.fromArray(Int32Array.from(mask.flat()), [B, T]));
  let x = k(embedding(w.wte, idsT));                                          // [B, T, D]
  for (const l of w.layers) {
    const h = k(layerNorm(x, l.lnGamma, l.lnBeta, eps));                      // one LN feeds both branches
    const heads = (t: Tensor) => k(t.reshape([B, T, H, Dh]));
    const q = k(rotary(heads(k(linear(h, l.q))), posT, { rotaryDim, style: 'interleaved' }));
    const kk = k(transpose(k(rotary(heads(k(linear(h, l.k))), posT, { rotaryDim, style: 'interleaved' })), 1, 2)); // [B, H, T, Dh]
    const vv = k(transpose(heads(k(linear(h, l.v))), 1, 2));
    const a = k(k(attention(q, kk, vv, { kvLength: T, mask: maskT })).reshape([B, T, D]));
    const attnOut = k(linear(a, l.out));
    const mlp = k(linear(k(gelu(k(linear(h, l.fcIn, l.fcInBias)), 'tanh')), l.fcOut, l.fcOutBias));
    x = k(add(k(add(x, attnOut)), mlp));
  }
  const logits = k(linear(k(layerNorm(x, w.lnfGamma, w.lnfBeta, eps)), w.lmHead, w.lmHeadBias)); // [B, T, V]
  const out = k(slice(logits, 1, T - 1, T)).toFloat32Array();
  for (const t of keep) t.dispose();
  return out;
}

function relErr(got: Float32Array, want: Float32Array): number {
  let diff = 0, ref = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    ref = Math.max(ref, Math.abs(want[i]));
  }
  return diff / ref;
}

const status = cudaAvailable();

describe.skipIf(!status.available)(status.available ? 'GPT-J runner on cuda vs cpu ops' : `GPT-J runner on cuda vs cpu ops (skipped: ${status.reason})`, () => {
  // [weights, batch, prompt length]: f16 prompt through cuBLASLt (12 rows), bf16 through GEMV
  // (3 rows), q8 through dequantize + cuBLASLt (40 rows).
  it.each([['f16', 2, 6], ['bf16', 1, 3], ['q8', 2, 20]] as [DType, number, number][])('%s weights, batch %i, prompt %i', (wdt, B, T) => {
    const m = makeModel(wdt, 7);
    const runner = createGPTJRunner(cfg, m.dev);
    const s = runner.createSession(B, 64), twin = runner.createSession(B, 64);
    const r = rng(99);
    const tok = () => Math.floor(((r() + 1) / 2) * cfg.vocabSize);
    const ids = Array.from({ length: B }, () => Array.from({ length: T }, tok));
    // row 1 (if any) is left-padded by 2
    const mask = ids.map((row, b) => row.map((_, t) => (b === 1 && t < 2 ? 0 : 1)));
    expect(relErr(s.forward(ids, mask), reference(m.ref, ids, mask))).toBeLessThan(1e-2);
    twin.forward(ids, mask);
    // decode: step 1 runs directly, steps 2.. replay the captured graph
    for (let step = 0; step < 4; step++) {
      const next = ids.map(() => [tok()]);
      ids.forEach((row, b) => row.push(next[b][0]));
      mask.forEach((row) => row.push(1));
      const logits = s.forward(next);
      expect(relErr(logits, reference(m.ref, ids, mask))).toBeLessThan(1e-2);
      // the argmax-only output equals the argmax of the same step's logits
      const am = twin.forwardArgmax(next);
      for (let b = 0; b < B; b++) {
        const row = logits.subarray(b * cfg.vocabSize, (b + 1) * cfg.vocabSize);
        expect(am[b]).toBe(row.indexOf(Math.max(...row)));
      }
    }
    expect(s.length).toBe(T + 4);
    if (B === 2) {
      // beam search reorder: swap the rows, then one more step
      s.reorder([1, 0]);
      ids.reverse();
      mask.reverse();
      const next = [[3], [5]];
      ids.forEach((row, b) => row.push(next[b][0]));
      mask.forEach((row) => row.push(1));
      expect(relErr(s.forward(next), reference(m.ref, ids, mask))).toBeLessThan(1e-2);
    }
    s.dispose();
    twin.dispose();
    runner.dispose();
    disposeWeights(m.ref);
    disposeWeights(m.dev);
  });

  it('rejects bad ids, lengths and weights with typed errors', () => {
    const m = makeModel('f16', 8);
    const runner = createGPTJRunner(cfg, m.dev);
    const s = runner.createSession(1, 4);
    expect(() => s.forward([[cfg.vocabSize]])).toThrow(/outside/);
    s.forward([[1, 2, 3]]);
    expect(() => s.forward([[1, 2]])).toThrow(/exceed maxLength/);
    expect(() => createGPTJRunner(cfg, { ...m.dev, lmHead: m.ref.lmHead })).toThrow(/move the weights/);
    s.dispose();
    runner.dispose();
    disposeWeights(m.ref);
    disposeWeights(m.dev);
  });
});
