// @gptj/model on CUDA against the CPU path and transformers, on every gptj-small-f32 fixture case:
// loadModel's 'auto' dtype on CUDA gives f16 weights; forward runs the layer kit on the CUDA per-op
// backend (f32 activations), sessions run the GPT-J runner (f16 activations and KV cache). Errors are
// max |a - b| over max |reference| and are printed as "[cuda] ..." lines (tools/gpu-check.sh lists them).
// Skipped, with the reason in the suite title, where CUDA is unavailable (device.test.ts runs there).
import { cudaAvailable } from '@gptj/tensor';
import { fixturePath, readFixtureF32, readFixtureJson } from '@gptj/test-fixtures';
import { miniCodeDir } from '@gptj/mini-code';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunnerSession, type GPTJModel, loadModel } from './index.js';
import { relToMax } from './test-support/compare.js';
import { batchShape, realPosition } from './test-support/shapes.js';
import { greedy } from './test-support/greedy.js';

interface Case {
  name: string;
  kind: 'logits' | 'padded' | 'greedy';
  input_ids?: number[][];
  attention_mask?: number[][];
  logits?: { file: string; shape: number[] };
  prompt_ids?: number[];
  new_ids?: number[];
}
const cuda = cudaAvailable();
if (!cuda.available) console.info(`[cuda] @gptj/model CUDA tests skipped: ${cuda.reason}`);
const V = 512;
const F16 = 1e-2; // f16 weights and activations vs the f32 CPU path, relative to the largest logit
const reference = readFixtureJson<{ cases: Case[] }>('gptj-small-f32', 'reference.json');
const cases = (kind: Case['kind']) => reference.cases.filter((c) => c.kind === kind).map((c) => [c.name, c] as const);

async function logitsOf(m: GPTJModel, ids: number[][], attentionMask?: number[][]): Promise<Float32Array> {
  const t = await m.forward(ids, attentionMask ? { attentionMask } : {});
  const out = t.toFloat32Array();
  t.dispose();
  return out;
}

/** [B, T, V] -> the last `keep` positions of each row, [B, keep, V]. */
function lastPositions(all: Float32Array, b: number, t: number, keep = 1): Float32Array {
  const out = new Float32Array(b * keep * V);
  for (let r = 0; r < b; r++) out.set(all.subarray((r * t + t - keep) * V, (r * t + t) * V), r * keep * V);
  return out;
}

function report(what: string, errs: Record<string, number>): void {
  console.log(
    `[cuda] ${what}: ${Object.entries(errs)
      .map(([k, e]) => `${k} ${e.toExponential(2)}`)
      .join(', ')}`,
  );
}

describe.skipIf(!cuda.available)(`@gptj/model on CUDA (${cuda.available ? 'GPU available' : `skipped: ${cuda.reason}`})`, () => {
  let cpu: GPTJModel;
  let gpu: GPTJModel;
  beforeAll(async () => {
    cpu = await loadModel(fixturePath('gptj-small-f32')); // f32, within 5e-7 of transformers
    gpu = await loadModel(fixturePath('gptj-small-f32'), { device: 'cuda' });
  });
  afterAll(() => {
    cpu?.dispose();
    gpu?.dispose();
  });

  it('loads f32 checkpoints as f16 on CUDA and decodes through the runner', () => {
    expect(gpu.device).toBe('cuda');
    expect(gpu.dtype).toBe('f16');
    expect(gpu.runnerUnsupported).toBe(null);
    const s = gpu.createSession(1, 8);
    expect(s instanceof RunnerSession).toBe(true);
    s.dispose();
  });

  it.each(cases('logits'))('%s: forward logits [B, T, V] match the CPU within 1e-2 of the largest logit', async (_, c) => {
    const ids = c.input_ids!;
    const [b, t] = batchShape(ids);
    const got = await logitsOf(gpu, ids);
    expect(got.length).toBe(b * t * V);
    const keep = c.logits!.shape[1];
    const errCpu = relToMax(got, await logitsOf(cpu, ids));
    const errRef = relToMax(lastPositions(got, b, t, keep), readFixtureF32('gptj-small-f32', c.logits!.file));
    report(`${c.name} forward`, { 'vs CPU': errCpu, 'vs transformers': errRef });
    expect(errCpu).toBeLessThan(F16);
    expect(errRef).toBeLessThan(F16);
  });

  it.each(cases('logits'))('%s: runner session prefill (last position) matches the CPU within 1e-2', async (_, c) => {
    const ids = c.input_ids!;
    const [b, t] = batchShape(ids);
    const s = gpu.createSession(b, t);
    const got = await s.forward(ids);
    expect(s.length).toBe(t);
    s.dispose();
    const err = relToMax(got, lastPositions(await logitsOf(cpu, ids), b, t));
    report(`${c.name} session prefill`, { 'vs CPU': err });
    expect(err).toBeLessThan(F16);
  });

  it.each(cases('padded'))('%s: left-padded batch matches the CPU where the mask is 1 (forward and session)', async (_, c) => {
    const [ids, mask] = [c.input_ids!, c.attention_mask!];
    const [b, t] = batchShape(ids);
    const want = await logitsOf(cpu, ids, mask);
    const real = realPosition(mask, V);
    const errForward = relToMax(await logitsOf(gpu, ids, mask), want, real);
    const s = gpu.createSession(b, t);
    const errSession = relToMax(await s.forward(ids, mask), lastPositions(want, b, t)); // left padding: last is real
    s.dispose();
    const errRef = relToMax(want, readFixtureF32('gptj-small-f32', c.logits!.file), real);
    report(`${c.name}`, { forward: errForward, session: errSession, 'CPU vs transformers': errRef });
    expect(errForward).toBeLessThan(F16);
    expect(errSession).toBeLessThan(F16);
  });

  it.each(cases('greedy'))('%s: greedy continuation through the runner identical to transformers', async (_, c) => {
    const { ids } = await greedy(gpu, c.prompt_ids!, c.new_ids!.length);
    expect(ids).toEqual(c.new_ids);
  });

  it('mini-code (fp16): greedy continuations of the first two samples identical to transformers', async () => {
    const samples = readFixtureJson<{ samples: { prompt_ids: number[]; new_ids: number[] }[] }>('mini-code-samples.json').samples;
    const m = await loadModel(miniCodeDir, { device: 'cuda' });
    try {
      expect(m.dtype).toBe('f16');
      for (const s of samples.slice(0, 2)) expect((await greedy(m, s.prompt_ids, s.new_ids.length)).ids).toEqual(s.new_ids);
    } finally {
      m.dispose();
    }
  });

  it('session decode (graph-replayed steps) equals the full forward at every step', async () => {
    const c = reference.cases.find((x) => x.name === 'greedy-a')!;
    const { ids, logits } = await greedy(gpu, c.prompt_ids!, 12);
    const all = [...c.prompt_ids!, ...ids];
    const full = await logitsOf(gpu, [all.slice(0, -1)]);
    const p = c.prompt_ids!.length;
    let worst = 0;
    logits.forEach((step, s) => {
      const at = (p - 1 + s) * V;
      worst = Math.max(worst, relToMax(step, full.subarray(at, at + V)));
    });
    report('greedy-a session steps vs CUDA forward', { worst: worst });
    expect(worst).toBeLessThan(F16);
  });

  it('left-padded batch decode and beam reorder follow the rows', async () => {
    // Row 1 is row 0's prompt left-padded by 2; after reorder([1, 0]) row 0 carries the padded one.
    const prompt = [5, 17, 300, 42];
    const session = gpu.createSession(2, 16);
    const alone = gpu.createSession(1, 16);
    try {
      const first = await session.forward(
        [
          [9, 9, ...prompt],
          [1, 2, 3, 4, 5, 6],
        ],
        [
          [0, 0, 1, 1, 1, 1],
          [1, 1, 1, 1, 1, 1],
        ],
      );
      expect(relToMax(first.subarray(0, V), await alone.forward([prompt]))).toBeLessThan(F16);
      session.reorder([1, 0]);
      expect(session.length).toBe(6);
      const next = await session.forward([[7], [7]]);
      expect(relToMax(next.subarray(V), await alone.forward([[7]]))).toBeLessThan(F16);
    } finally {
      session.dispose();
      alone.dispose();
    }
    let err: unknown;
    await session.forward([[1], [1]]).catch((e: unknown) => {
      err = e;
    });
    expect(String(err)).toMatch(/disposed/);
  });

  // Reduced weight dtypes on the runner: weight rounding plus the runner's activations (CPU f32-compute
  // figures: bf16 3.4e-3, q8 1.3e-2).
  it.each([
    ['bf16', 3e-2],
    ['q8', 5e-2],
  ] as const)('dtype %s: session and forward logits within %d of transformers', async (dtype, bound) => {
    const c = reference.cases.find((x) => x.name === 'seq-40')!;
    const ref = readFixtureF32('gptj-small-f32', c.logits!.file);
    const m = await loadModel(fixturePath('gptj-small-f32'), { device: 'cuda', dtype });
    try {
      expect(m.dtype).toBe(dtype);
      const s = m.createSession(1, 40);
      const errSession = relToMax(await s.forward(c.input_ids!), ref.subarray(39 * V));
      s.dispose();
      const errForward = relToMax(await logitsOf(m, c.input_ids!), ref);
      report(`seq-40 ${dtype}`, { session: errSession, forward: errForward });
      expect(errSession).toBeLessThan(bound);
      expect(errForward).toBeLessThan(bound);
    } finally {
      m.dispose();
    }
  });
});
