// Device choice, weight dtypes per device, session limits, and the CUDA session's bookkeeping: all of it
// runs without a GPU (the CUDA numerics are in cuda.test.ts).
import { DeviceError, DisposedError, cudaAvailable } from '@gptj/tensor';
import { type CudaGPTJRunnerSession } from '@gptj/tensor/runner';
import { fixturePath, readFixtureF32, readFixtureJson } from '@gptj/test-fixtures';
import { describe, expect, it } from 'vitest';
import { RunnerSession, type GPTJConfig, loadModel, parseGPTJConfig, runnerUnsupported, weightDTypes } from './index.js';
import { resolveDevice } from './device.js';
import { relToMax } from './test-support/compare.js';
import { batchShape } from './test-support/shapes.js';

const small = fixturePath('gptj-small-f32');
const cuda = cudaAvailable();
const seq40 = readFixtureJson<{ cases: { name: string; input_ids: number[][]; logits: { file: string } }[] }>('gptj-small-f32', 'reference.json').cases.find(
  (c) => c.name === 'seq-40',
)!;

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe.skipIf(cuda.available)(`without a usable GPU (${cuda.reason ?? 'CUDA available: skipped'})`, () => {
  it("device 'cuda' throws a DeviceError carrying the backend's reason", async () => {
    const err = await rejection(loadModel(small, { device: 'cuda' }));
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as Error).message).toContain("device 'cuda' was requested but CUDA is not available");
    expect((err as Error).message).toContain(cuda.reason!);
  });

  it("device 'auto' falls back to the CPU and computes the same logits", async () => {
    const m = await loadModel(small, { device: 'auto' });
    expect(m.device).toBe('cpu');
    expect(m.dtype).toBe('f32'); // 'auto' keeps f32 on the CPU
    const logits = await m.forward(seq40.input_ids);
    expect(relToMax(logits.toFloat32Array(), readFixtureF32('gptj-small-f32', seq40.logits.file))).toBeLessThan(1e-4);
    logits.dispose();
    m.dispose();
  });
});

describe('device and dtype choice', () => {
  it("'auto' takes CUDA when the probe reports it, else the CPU; 'cuda' without it names the reason", () => {
    const yes = () => ({ available: true });
    const no = () => ({ available: false, reason: 'cudaErrorNoDevice: no CUDA-capable device is detected' });
    expect(resolveDevice('auto', yes)).toBe('cuda');
    expect(resolveDevice('auto', no)).toBe('cpu');
    expect(resolveDevice('cuda', yes)).toBe('cuda');
    expect(resolveDevice('cpu', yes)).toBe('cpu');
    expect(() => resolveDevice('cuda', no)).toThrow(DeviceError);
    expect(() => resolveDevice('cuda', no)).toThrow(/cudaErrorNoDevice: no CUDA-capable device/);
    expect(() => resolveDevice('gpu' as never, yes)).toThrow(/device must be 'cpu', 'cuda' or 'auto'/);
  });

  it("'auto' keeps the stored dtype, except f32 on CUDA, which becomes f16; q8 keeps the embedding in f16", () => {
    expect(weightDTypes('cpu', 'f32')).toEqual({ matrix: 'f32', embedding: 'f32' });
    expect(weightDTypes('cuda', 'f32')).toEqual({ matrix: 'f16', embedding: 'f16' });
    expect(weightDTypes('cuda', 'bf16', 'auto')).toEqual({ matrix: 'bf16', embedding: 'bf16' });
    expect(weightDTypes('cuda', 'f32', 'f32')).toEqual({ matrix: 'f32', embedding: 'f32' });
    expect(weightDTypes('cuda', 'f16', 'q8')).toEqual({ matrix: 'q8', embedding: 'f16' });
    expect(() => weightDTypes('cpu', 'f32', 'int8' as never)).toThrow(/dtype must be one of auto, f32, f16, bf16, q8, q4, got "int8"/);
  });

  it('the CUDA runner takes f16/bf16/q8 GPT-J weights with the tanh gelu, and says why not otherwise', () => {
    const config: GPTJConfig = parseGPTJConfig({ n_embd: 128, n_head: 8, n_layer: 1, vocab_size: 512, rotary_dim: 8 });
    for (const dt of ['f16', 'bf16', 'q8'] as const) expect(runnerUnsupported(config, dt)).toBe(null);
    expect(runnerUnsupported(config, 'f32')).toMatch(/needs f16, bf16 or q8 weights, not f32/);
    expect(runnerUnsupported({ ...config, activationFunction: 'gelu' }, 'f16')).toMatch(/exact one/);
    expect(runnerUnsupported({ ...config, nEmbd: 1024, nHead: 2 }, 'f16')).toMatch(/at most 256 dims, this model has 512/);
  });
});

describe('session limits (CPU)', () => {
  it('createSession takes a maxLength up to the context and enforces it', async () => {
    const m = await loadModel(small);
    expect(() => m.createSession(1, 513)).toThrow(/maxLength must be an integer in \[1, 512\], got 513/);
    const s = m.createSession(2, 4);
    expect(s.maxLength).toBe(4);
    await s.forward([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    await expect(
      s.forward([
        [7, 8],
        [7, 8],
      ]),
    ).rejects.toThrow(/5 positions exceed the session's maxLength of 4/);
    expect(s.length).toBe(3); // a refused step leaves the session as it was
    expect(() => s.reorder([0, 2])).toThrow(/need 2 row indices in \[0, 2\)/);
    s.dispose();
    m.dispose();
  });
});

/** Stands in for the native runner session: records what the model passes down. */
class FakeRunnerSession {
  length = 0;
  calls: { ids: number[][]; mask: number[][] | undefined }[] = [];
  reorders: number[][] = [];
  disposed = 0;
  forward(ids: number[][], mask?: number[][]): Float32Array {
    this.calls.push({ ids, mask });
    this.length += batchShape(ids)[1];
    return new Float32Array(ids.length * 4).fill(this.length);
  }
  reorder(rows: readonly number[]): void {
    this.reorders.push([...rows]);
  }
  dispose(): void {
    this.disposed++;
  }
}

describe('RunnerSession bookkeeping (over a stand-in for the runner session)', () => {
  const make = () => {
    const fake = new FakeRunnerSession();
    return { fake, s: new RunnerSession(fake as unknown as CudaGPTJRunnerSession, 2, 6, 4) };
  };

  it('passes ids and the step mask (default all 1) down and returns the runner logits', async () => {
    const { fake, s } = make();
    expect(
      Array.from(
        await s.forward(
          [
            [1, 2],
            [3, 0],
          ],
          [
            [1, 1],
            [0, 1],
          ],
        ),
      ),
    ).toEqual([2, 2, 2, 2, 2, 2, 2, 2]);
    await s.forward([[1], [2]]);
    expect(fake.calls).toEqual([
      {
        ids: [
          [1, 2],
          [3, 0],
        ],
        mask: [
          [1, 1],
          [0, 1],
        ],
      },
      { ids: [[1], [2]], mask: [[1], [1]] },
    ]);
    expect(s.length).toBe(3);
  });

  it('rejects bad steps before they reach the GPU, with the CPU session messages', async () => {
    const { fake, s } = make();
    await expect(s.forward([[1]])).rejects.toThrow(/expected 2 rows of ids, got 1/);
    await expect(s.forward([[1], [4]])).rejects.toThrow(/token id 4 is outside \[0, 4\)/);
    await expect(s.forward([[1], [2]], [[1], [2]])).rejects.toThrow(/mask values must be 0 or 1, got 2/);
    await expect(
      s.forward([
        [1, 1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 1, 1],
      ]),
    ).rejects.toThrow(/7 positions exceed the session's maxLength of 6/);
    expect(() => s.reorder([1, 1, 0])).toThrow(/need 2 row indices/);
    expect(fake.calls).toEqual([]);
  });

  it('reorders through the runner and frees it once on dispose', async () => {
    const { fake, s } = make();
    s.reorder([1, 0]);
    expect(fake.reorders).toEqual([[1, 0]]);
    s.dispose();
    s.dispose();
    expect(fake.disposed).toBe(1);
    await expect(s.forward([[1], [1]])).rejects.toThrow(/disposed/);
  });

  it('misuse throws errors that name RunnerSession: DisposedError after dispose, RangeErrors for bad steps', async () => {
    const { s } = make();
    await expect(s.forward([[1]])).rejects.toThrow(/^RunnerSession\.forward: expected 2 rows/);
    await expect(s.forward([[1], [9]])).rejects.toThrow(/^RunnerSession: token id 9/);
    expect(() => s.reorder([0])).toThrow(/^RunnerSession\.reorder: need 2 row indices/);
    s.dispose();
    await expect(s.forward([[1], [1]])).rejects.toThrow(DisposedError);
    expect(() => s.reorder([0, 1])).toThrow('RunnerSession has been disposed');
  });
});
