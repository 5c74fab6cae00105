// The native GPT-J runner against a GPT-J forward composed from CPU ops (full recompute: one step from an empty cache)
// on a small random model: prefill with left padding, decode steps (the later ones replayed from
// the captured CUDA graph), the argmax-only output, and beam-search reordering. f16/bf16/q8 weights;
// the reference uses the same weights widened to f32, so the only differences are the runner's
// f16 activations and KV cache (1e-2 relative). Skipped with the reason where CUDA is unavailable.
import { describe, expect, it } from 'vitest';
import { Tensor, cast, cudaAvailable, type DType } from '../index.js';
import { createCpuGPTJRunner, createCudaGPTJRunner, type GPTJRunnerConfig, type GPTJRunnerWeights } from '../runner.js';
import { GPTJOpsReference, linearRef, relErr, rng } from '../test-support/index.js';

const cfg: GPTJRunnerConfig = { vocabSize: 96, nEmbd: 64, nLayer: 2, nHead: 4, nInner: 256, rotaryDim: 8, layerNormEpsilon: 1e-5 };
// GPT-J 6B's head shape (256 dims, 64 rotary), for the prefill attention kernel at full head size.
const cfg256: GPTJRunnerConfig = { vocabSize: 96, nEmbd: 512, nLayer: 1, nHead: 2, nInner: 256, rotaryDim: 64, layerNormEpsilon: 1e-5 };

interface Model {
  ref: GPTJRunnerWeights;
  dev: GPTJRunnerWeights;
}

/** Random weights: `dev` in the runner's dtypes on the device, `ref` the same values as f32 on the CPU. */
function makeModel(wdt: DType, seed: number, c: GPTJRunnerConfig = cfg): Model {
  const r = rng(seed);
  const rand = (shape: number[], amp: number, off = 0) =>
    Tensor.fromArray(
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => off + r() * amp),
      shape,
    );
  const pair = (t: Tensor, dt: DType) => {
    const stored = dt === 'f32' ? t : cast(t, dt);
    const ref = dt === 'f32' ? stored : cast(stored, 'f32');
    const dev = stored.to('cuda');
    if (stored !== t) t.dispose();
    if (ref !== stored) stored.dispose();
    return { ref, dev };
  };
  const D = c.nEmbd,
    I = c.nInner,
    V = c.vocabSize;
  const mat = (n: number, k: number) => pair(rand([n, k], 2 / Math.sqrt(k)), wdt); // 0.25 at k = 64
  const vec = (n: number, amp: number, off = 0, dt: DType = 'f32') => pair(rand([n], amp, off), dt);
  const split = <K extends string>(o: Record<K, { ref: Tensor; dev: Tensor }>, side: 'ref' | 'dev') =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, (v as { ref: Tensor; dev: Tensor })[side]])) as Record<K, Tensor>;
  const top = {
    wte: pair(rand([V, D], 1), 'f16'),
    lnfGamma: vec(D, 0.2, 1, 'f16'),
    lnfBeta: vec(D, 0.2, 0, 'f16'),
    lmHead: mat(V, D),
    lmHeadBias: vec(V, 0.1),
  };
  const layers = Array.from({ length: c.nLayer }, () => ({
    lnGamma: vec(D, 0.2, 1, 'f16'),
    lnBeta: vec(D, 0.2, 0, 'f16'),
    q: mat(D, D),
    k: mat(D, D),
    v: mat(D, D),
    out: mat(D, D),
    fcIn: mat(I, D),
    fcInBias: vec(I, 0.1),
    fcOut: mat(D, I),
    fcOutBias: vec(D, 0.1),
  }));
  const side = (s: 'ref' | 'dev'): GPTJRunnerWeights => ({ ...split(top, s), layers: layers.map((l) => split(l, s)) }) as GPTJRunnerWeights;
  return { ref: side('ref'), dev: side('dev') };
}

function disposeWeights(w: GPTJRunnerWeights): void {
  for (const t of [w.wte, w.lnfGamma, w.lnfBeta, w.lmHead, w.lmHeadBias]) t.dispose();
  for (const l of w.layers) for (const t of Object.values(l)) t.dispose();
}

/** GPT-J forward with CPU ops over the whole sequence: logits of the last position, [B * V]. */
function reference(w: GPTJRunnerWeights, ids: number[][], mask: number[][], c: GPTJRunnerConfig = cfg): Float32Array {
  const ref = new GPTJOpsReference(w, c, ids.length, ids[0].length);
  try {
    return ref.forward(ids, mask);
  } finally {
    ref.dispose();
  }
}

const status = cudaAvailable();

describe.skipIf(!status.available)(status.available ? 'GPT-J runner on cuda vs cpu ops' : `GPT-J runner on cuda vs cpu ops (skipped: ${status.reason})`, () => {
  // [weights, batch, prompt length]: f16 prompt through cuBLASLt (12 rows), bf16 through GEMV
  // (3 rows), q8 through dequantize + cuBLASLt (40 rows).
  it.each([
    ['f16', 2, 6],
    ['bf16', 1, 3],
    ['q8', 2, 20],
  ] as [DType, number, number][])('%s weights, batch %i, prompt %i', async (wdt, B, T) => {
    const m = makeModel(wdt, 7);
    const runner = createCudaGPTJRunner(cfg, m.dev);
    const s = runner.createSession(B, 64),
      twin = runner.createSession(B, 64);
    const r = rng(99);
    const tok = () => Math.floor(((r() + 1) / 2) * cfg.vocabSize);
    const ids = Array.from({ length: B }, () => Array.from({ length: T }, tok));
    // row 1 (if any) is left-padded by 2
    const mask = ids.map((row, b) => row.map((_, t) => (b === 1 && t < 2 ? 0 : 1)));
    expect(relErr(await s.forward(ids, mask), reference(m.ref, ids, mask))).toBeLessThan(1e-2);
    await twin.forward(ids, mask);
    // decode: step 1 runs directly, steps 2.. replay the captured graph
    for (let step = 0; step < 4; step++) {
      const next = ids.map(() => [tok()]);
      ids.forEach((row, b) => row.push(next[b][0]));
      mask.forEach((row) => row.push(1));
      const logits = await s.forward(next);
      expect(relErr(logits, reference(m.ref, ids, mask))).toBeLessThan(1e-2);
      // the argmax-only output equals the argmax of the same step's logits
      const am = await twin.forwardArgmax(next);
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
      expect(relErr(await s.forward(next), reference(m.ref, ids, mask))).toBeLessThan(1e-2);
    }
    s.dispose();
    twin.dispose();
    runner.dispose();
    disposeWeights(m.ref);
    disposeWeights(m.dev);
  });

  // Prefill attention at GPT-J 6B's head size: 150 tokens (3 query tiles, 5 key tiles, row 1 left-padded
  // by 37), then a 70-token chunk on top of the cache (keys before the chunk's first query), then decode.
  it.each([
    ['f16', 1e-2],
    ['bf16', 3e-2],
  ] as [DType, number][])('%s weights, head dim 256, chunked prefill of 150 + 70 tokens', async (wdt, tol) => {
    const m = makeModel(wdt, 11, cfg256);
    const runner = createCudaGPTJRunner(cfg256, m.dev);
    const s = runner.createSession(2, 232);
    const r = rng(5);
    const tok = () => Math.floor(((r() + 1) / 2) * cfg256.vocabSize);
    const ids = [0, 1].map(() => Array.from({ length: 150 }, tok));
    const mask = ids.map((row, b) => row.map((_, t): number => (b === 1 && t < 37 ? 0 : 1)));
    expect(relErr(await s.forward(ids, mask), reference(m.ref, ids, mask, cfg256))).toBeLessThan(tol);
    const chunk = [0, 1].map(() => Array.from({ length: 70 }, tok));
    ids.forEach((row, b) => row.push(...chunk[b]));
    mask.forEach((row) => row.push(...chunk[0].map(() => 1)));
    expect(relErr(await s.forward(chunk), reference(m.ref, ids, mask, cfg256))).toBeLessThan(tol);
    for (let step = 0; step < 2; step++) {
      const next = [[tok()], [tok()]];
      ids.forEach((row, b) => row.push(next[b][0]));
      mask.forEach((row) => row.push(1));
      expect(relErr(await s.forward(next), reference(m.ref, ids, mask, cfg256))).toBeLessThan(tol);
    }
    s.dispose();
    runner.dispose();
    disposeWeights(m.ref);
    disposeWeights(m.dev);
  });

  it('rejects bad ids, lengths and weights with typed errors', async () => {
    const m = makeModel('f16', 8);
    const runner = createCudaGPTJRunner(cfg, m.dev);
    const s = runner.createSession(1, 4);
    await expect(s.forward([[cfg.vocabSize]])).rejects.toThrow(/outside/);
    await s.forward([[1, 2, 3]]);
    await expect(s.forward([[1, 2]])).rejects.toThrow(/exceed maxLength/);
    expect(() => createCudaGPTJRunner(cfg, { ...m.dev, lmHead: m.ref.lmHead })).toThrow(/move the weights/);
    s.dispose();
    runner.dispose();
    disposeWeights(m.ref);
    disposeWeights(m.dev);
  });

  it('runs a step off the main thread: the event loop turns, a second step waits its turn, dispose mid-step is safe', async () => {
    // 8 rows of 2000 tokens through 4 layers: milliseconds of GPU work, many event-loop turns
    const big: GPTJRunnerConfig = { ...cfg256, nEmbd: 1024, nHead: 4, nLayer: 4, nInner: 1024 };
    const m = makeModel('f16', 9, big);
    const runner = createCudaGPTJRunner(big, m.dev);
    const s = runner.createSession(8, 2048);
    const ids = Array.from({ length: 8 }, (_, b) => Array.from({ length: 2000 }, (_, t) => (b * 7 + t) % big.vocabSize));
    let turns = 0,
      spinning = true;
    const spin = () => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    const step = s.forward(ids);
    await expect(s.forward(ids.map(() => [1]))).rejects.toThrow(/still running/);
    expect(() => s.reorder([0, 1, 2, 3, 4, 5, 6, 7])).toThrow(/still running/);
    const logits = await step;
    spinning = false;
    expect(turns).toBeGreaterThan(2);
    expect(logits.every(Number.isFinite)).toBe(true);
    // disposed while its step runs: the step still settles, the session is gone afterwards
    const pending = s.forward(ids.map(() => [1]));
    s.dispose();
    await pending;
    await expect(s.forward(ids.map(() => [1]))).rejects.toThrow(/disposed/);
    runner.dispose();
    disposeWeights(m.ref);
    disposeWeights(m.dev);
  });
});

// forwardHidden (the final states after ln_f, no lm_head) against the CPU runner's forwardHidden over the same
// weights widened to f32, compared where the mask is 1. One session steps through every kind of step: a
// left-padded prefill in hidden mode, decode steps (the second one captures the graph), a hidden decode step
// between graph replays, a hidden chunk on top of the cache; the CPU session takes the same steps.
describe.skipIf(!status.available)(
  status.available ? 'forwardHidden on cuda vs the CPU runner' : `forwardHidden on cuda vs the CPU runner (skipped: ${status.reason})`,
  () => {
    const B = 3,
      D = cfg.nEmbd,
      V = cfg.vocabSize;
    // [weights, prompt length, tolerance]: the f16 prompt (21 rows) goes through cuBLASLt, the bf16 one (6 rows)
    // through GEMV, the q8 one (36 rows) through dequantize + cuBLASLt.
    const cases: [DType, number, number][] = [
      ['f16', 7, 1e-2],
      ['bf16', 2, 3e-2],
      ['q8', 12, 1e-2],
    ];

    it.each(cases)('%s weights, prompt %i: prefill, decode around the graph, a chunk after the prefill', async (wdt, T, tol) => {
      const m = makeModel(wdt, 13);
      const gpu = createCudaGPTJRunner(cfg, m.dev);
      const cpu = createCpuGPTJRunner(cfg, m.ref);
      const g = gpu.createSession(B, 32),
        c = cpu.createSession(B, 32);
      const r = rng(21);
      const tok = () => Math.floor(((r() + 1) / 2) * V);
      const rows = (t: number) => Array.from({ length: B }, () => Array.from({ length: t }, tok));
      // row 1 left-padded by 1, row 2 by T - 1 (one real token)
      const ids = rows(T);
      const pads = [0, 1, T - 1];
      const mask = ids.map((row, b) => row.map((_, t) => (t < pads[b] ? 0 : 1)));
      const real = (mk: number[][]) => (i: number) => mk.flat()[Math.floor(i / D)] === 1;
      const hidden = async (x: number[][], mk?: number[][]) => {
        const [got, want] = [await g.forwardHidden(x, mk), await c.forwardHidden(x, mk)];
        expect(got.length).toBe(x.flat().length * D);
        return relErr(got, want, real(mk ?? x.map((row) => row.map(() => 1))));
      };
      const logits = async (x: number[][]) => relErr(await g.forward(x), await c.forward(x));

      expect(await hidden(ids, mask)).toBeLessThan(tol);
      // the hidden step appended its keys and values: decode on top of it (direct, then captured and replayed)
      for (let step = 0; step < 3; step++) expect(await logits(rows(1))).toBeLessThan(tol);
      // a hidden decode step between graph replays is launched directly; the replay after it is unaffected
      expect(await hidden(rows(1))).toBeLessThan(tol);
      expect(await logits(rows(1))).toBeLessThan(tol);
      // a session continued after the prefill: a 5-token hidden chunk on top of the cache
      expect(await hidden(rows(5))).toBeLessThan(tol);
      expect(g.length).toBe(T + 10);
      for (const x of [g, c]) x.dispose();
      for (const x of [gpu, cpu]) x.dispose();
      disposeWeights(m.ref);
      disposeWeights(m.dev);
    });

    it('the states of a step are those its logits come from: lm_head applied to them on the CPU gives the logits', async () => {
      const m = makeModel('f16', 17);
      const gpu = createCudaGPTJRunner(cfg, m.dev);
      const [h, l] = [gpu.createSession(B, 16), gpu.createSession(B, 16)];
      const r = rng(3);
      const tok = () => Math.floor(((r() + 1) / 2) * V);
      const ids = Array.from({ length: B }, () => Array.from({ length: 6 }, tok));
      const mask = ids.map((row, b) => row.map((_, t) => (t < b ? 0 : 1)));
      const w = m.ref.lmHead.toFloat32Array(),
        bias = m.ref.lmHeadBias.toFloat32Array();
      // the last position of each row, then one decode step (T = 1: every position is the last)
      const states = await h.forwardHidden(ids, mask);
      const last = Float32Array.from({ length: B * D }, (_, i) => states[(Math.floor(i / D) * 6 + 5) * D + (i % D)]);
      expect(relErr(await l.forward(ids, mask), linearRef(last, B, D, w, V, bias))).toBeLessThan(1e-2);
      const next = ids.map(() => [tok()]);
      expect(relErr(await l.forward(next), linearRef(await h.forwardHidden(next), B, D, w, V, bias))).toBeLessThan(1e-2);
      h.dispose();
      l.dispose();
      gpu.dispose();
      disposeWeights(m.ref);
      disposeWeights(m.dev);
    });

    it('refuses bad steps as forward does, and a refused step leaves the session as it was', async () => {
      const m = makeModel('f16', 19);
      const gpu = createCudaGPTJRunner(cfg, m.dev);
      const s = gpu.createSession(1, 4);
      await expect(s.forwardHidden([[V]])).rejects.toThrow(/token id 96/);
      await expect(s.forwardHidden([[1, 2, 3, 4, 5]])).rejects.toThrow(/T must be an integer in \[1, 4\]/);
      expect(s.length).toBe(0);
      expect((await s.forwardHidden([[1, 2, 3]])).length).toBe(3 * D);
      await expect(s.forwardHidden([[1, 2]])).rejects.toThrow(/exceed maxLength/);
      expect(s.length).toBe(3);
      s.dispose();
      await expect(s.forwardHidden([[1]])).rejects.toThrow(/disposed/);
      gpu.dispose();
      disposeWeights(m.ref);
      disposeWeights(m.dev);
    });
  },
);
