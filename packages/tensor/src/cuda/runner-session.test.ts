// CudaGPTJRunnerSession's own bookkeeping, over a stand-in for the native session: runs without a GPU.
import { describe, expect, it } from 'vitest';
import { DisposedError } from '../index.js';
import { CudaGPTJRunner, CudaGPTJRunnerSession, GPTJRunner, GPTJRunnerSession, createCudaGPTJRunner, createGPTJRunner } from '../runner.js';
import type { NativeSession } from './addon.js';

function fakeNative(): NativeSession & { disposed: number } {
  const native = {
    length: 0,
    disposed: 0,
    forward: async () => {},
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
    const s = new CudaGPTJRunnerSession(native, 1, 4);
    await s.forward([[1]]);
    s.dispose();
    expect(native.disposed).toBe(1);
    await expect(s.forward([[1]])).rejects.toThrow(new DisposedError('CudaGPTJRunnerSession.forward: the session was disposed'));
    await expect(s.forwardArgmax([[1]])).rejects.toThrow(DisposedError);
    expect(() => s.reorder([0])).toThrow('CudaGPTJRunnerSession.reorder: the session was disposed');
  });

  it('the old names are deprecated aliases of the new ones', () => {
    expect(GPTJRunner).toBe(CudaGPTJRunner);
    expect(GPTJRunnerSession).toBe(CudaGPTJRunnerSession);
    expect(createGPTJRunner).toBe(createCudaGPTJRunner);
  });
});
