// Runs on machines without a usable GPU (CI, this dev box): loading the CUDA side must not throw,
// must say why CUDA is unavailable, and asking for device 'cuda' must give a DeviceError with that
// reason. On a GPU machine the suite is skipped (the op tests cover it there).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeviceError, Tensor, cudaAvailable } from '../index.js';
import { loadCudaAddon } from './addon.js';
import { createCudaGPTJRunner, cudaDeviceInfo } from './index.js';

const status = cudaAvailable();
const addonBuilt = existsSync(fileURLToPath(new URL('../../build/Release/gptj_cuda.node', import.meta.url)));

describe.skipIf(status.available)('cuda unavailable on this machine', () => {
  it('loads without throwing and reports a reason', () => {
    const r = loadCudaAddon();
    expect(r.addon).toBeUndefined();
    expect(typeof status.reason).toBe('string');
    expect(status.reason!.length).toBeGreaterThan(0);
    expect(cudaDeviceInfo()).toEqual({ available: false, reason: status.reason });
    // A built addon on a machine without a driver/GPU says so in CUDA's own words; without the
    // addon (no nvcc at build time) the reason says that instead.
    if (addonBuilt && !process.env.GPTJ_NO_CUDA)
      expect(status.reason).toMatch(/cudaErrorInsufficientDriver|cudaErrorNoDevice|no CUDA device|compute capability/);
    else expect(status.reason).toMatch(/no CUDA (addon|backend)|GPTJ_NO_CUDA/);
    console.info(`[cuda] unavailable: ${status.reason}`);
  });

  it('gives a DeviceError with the reason for device cuda', () => {
    expect(() => Tensor.zeros([2, 3], 'f32', 'cuda')).toThrow(DeviceError);
    expect(() => Tensor.zeros([2, 3], 'f32', 'cuda')).toThrow(status.reason!);
    const t = Tensor.fromArray([1, 2, 3], [3]);
    expect(() => t.to('cuda')).toThrow(DeviceError);
    expect(t.toFloat32Array()).toEqual(new Float32Array([1, 2, 3])); // the CPU path is unharmed
    t.dispose();
  });

  it('refuses to build a GPT-J runner, naming the reason', () => {
    const cfg = { vocabSize: 8, nEmbd: 4, nLayer: 1, nHead: 1, nInner: 8, rotaryDim: 2, layerNormEpsilon: 1e-5 };
    expect(() => createCudaGPTJRunner(cfg, {} as never)).toThrow(DeviceError);
    expect(() => createCudaGPTJRunner(cfg, {} as never)).toThrow(status.reason!);
  });
});

describe('GPTJ_NO_CUDA kill switch', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('disables CUDA with that reason', async () => {
    vi.stubEnv('GPTJ_NO_CUDA', '1');
    vi.resetModules();
    const fresh = await import('./addon.js');
    const r = fresh.loadCudaAddon();
    expect(r.addon).toBeUndefined();
    expect(r.addon ? '' : r.reason).toMatch(/GPTJ_NO_CUDA/);
  });
});
