// CudaGPTJRunnerSession's own bookkeeping, over a stand-in for the native session: runs without a GPU.
import { describe, expect, it } from 'vitest';
import { CUDA_ADDON, findAddon } from '../addon-loader.js';
import { DisposedError, ShapeError } from '../index.js';
import { CudaGPTJRunner, CudaGPTJRunnerSession, GPTJRunner, GPTJRunnerSession, createCudaGPTJRunner, createGPTJRunner } from '../runner.js';
import type { CudaAddon, NativeSession } from './addon.js';

interface Call {
  method: 'forward' | 'forwardHidden';
  ids: number[];
  T: number;
  mask: number[] | null;
  outLength: number;
}

function fakeNative(): NativeSession & { disposed: number; calls: Call[] } {
  const calls: Call[] = [];
  const record = (method: Call['method']) => async (ids: Int32Array, T: number, mask: Int32Array | null, out: Float32Array | Int32Array) => {
    calls.push({ method, ids: [...ids], T, mask: mask && [...mask], outLength: out.length });
  };
  const native = {
    length: 0,
    disposed: 0,
    calls,
    forward: record('forward'),
    forwardHidden: record('forwardHidden'),
    reorder: () => {},
    dispose: () => {
      native.disposed++;
    },
  };
  return native;
}

describe('CudaGPTJRunnerSession', () => {
  it('misuse after dispose is a DisposedError naming CudaGPTJRunnerSession (the native session calls itself GPTJSession)', async () => {
    const native = fakeNative();
    const s = new CudaGPTJRunnerSession(native, 1, 4, 8);
    await s.forward([[1]]);
    s.dispose();
    expect(native.disposed).toBe(1);
    await expect(s.forward([[1]])).rejects.toThrow(new DisposedError('CudaGPTJRunnerSession.forward: the session was disposed'));
    await expect(s.forwardArgmax([[1]])).rejects.toThrow(DisposedError);
    await expect(s.forwardHidden([[1]])).rejects.toThrow(new DisposedError('CudaGPTJRunnerSession.forwardHidden: the session was disposed'));
    expect(() => s.reorder([0])).toThrow('CudaGPTJRunnerSession.reorder: the session was disposed');
  });

  it('forwardHidden hands the native step ids, T and mask flat, and an out of batchSize * T * nEmbd floats', async () => {
    const native = fakeNative();
    const s = new CudaGPTJRunnerSession(native, 2, 50, 8);
    const states = await s.forwardHidden(
      [
        [0, 3, 4],
        [5, 6, 7],
      ],
      [
        [0, 1, 1],
        [1, 1, 1],
      ],
    );
    expect(states.length).toBe(2 * 3 * 8);
    expect(native.calls).toEqual([{ method: 'forwardHidden', ids: [0, 3, 4, 5, 6, 7], T: 3, mask: [0, 1, 1, 1, 1, 1], outLength: 48 }]);
    await s.forwardHidden([[1], [2]]);
    expect(native.calls[1]).toEqual({ method: 'forwardHidden', ids: [1, 2], T: 1, mask: null, outLength: 16 });
  });

  // The CPU session's checks (runner-shared.ts packStep), naming the CUDA method; nothing reaches the native step.
  it.each([
    ['a wrong row count', [[1, 2]], undefined, 'CudaGPTJRunnerSession.forwardHidden: ids must have 2 rows, got 1'],
    ['ragged rows', [[1, 2], [3]], undefined, 'CudaGPTJRunnerSession.forwardHidden: every row of ids must have the same length T >= 1'],
    ['empty rows', [[], []], undefined, 'CudaGPTJRunnerSession.forwardHidden: every row of ids must have the same length T >= 1'],
    ['a mask of another shape', [[1], [2]], [[1, 1], [1]], 'CudaGPTJRunnerSession.forwardHidden: mask must have the shape of ids'],
  ])('forwardHidden refuses %s with a ShapeError', async (_, ids, mask, message) => {
    const native = fakeNative();
    const s = new CudaGPTJRunnerSession(native, 2, 50, 8);
    await expect(s.forwardHidden(ids, mask)).rejects.toThrow(ShapeError);
    await expect(s.forwardHidden(ids, mask)).rejects.toThrow(message);
    expect(native.calls.length).toBe(0);
  });

  // The built addon loads without a GPU: the stand-in's methods are the native session's.
  const found = findAddon(CUDA_ADDON);
  const addon = found.found ? (found.addon as CudaAddon) : undefined;
  it.skipIf(!addon)('the native GPTJSession has the methods the stand-in fakes', () => {
    const proto = addon!.GPTJSession.prototype as unknown as Record<string, unknown>;
    for (const name of ['forward', 'forwardHidden', 'reorder', 'dispose']) expect(typeof proto[name]).toBe('function');
  });

  it('the old names are deprecated aliases of the new ones', () => {
    expect(GPTJRunner).toBe(CudaGPTJRunner);
    expect(GPTJRunnerSession).toBe(CudaGPTJRunnerSession);
    expect(createGPTJRunner).toBe(createCudaGPTJRunner);
  });
});
