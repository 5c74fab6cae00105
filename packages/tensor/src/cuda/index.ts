// CUDA side of @gptj/tensor. Importing it registers the CUDA backend with the dispatcher (the addon
// is only loaded when device 'cuda' is first used).
import './backend.js';
import { DTYPE_CODE } from '../dtype.js';
import { DeviceError, TensorError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { loadCudaAddon, type CudaAddon, type CudaProbe, type DeviceStorage } from './addon.js';

export { createCudaGPTJRunner, CudaGPTJRunner, CudaGPTJRunnerSession, createGPTJRunner, GPTJRunner, GPTJRunnerSession } from './runner.js';
export type { GPTJRunnerConfig, GPTJRunnerLayerWeights, GPTJRunnerWeights } from './runner.js';
export type { CudaProbe } from './addon.js';

/** What the CUDA probe found: device name, compute capability, memory, cuBLASLt, or why unavailable. */
export function cudaDeviceInfo(): CudaProbe {
  const r = loadCudaAddon();
  return r.addon ? r.probe : { available: false, reason: r.reason };
}

function cudaTensor(op: string, t: Tensor): { addon: CudaAddon; storage: DeviceStorage } {
  const r = loadCudaAddon();
  if (!r.addon) throw new DeviceError(`${op}: CUDA is not available: ${r.reason}`);
  if (t.device !== 'cuda') throw new DeviceError(`${op}: the tensor is on '${t.device}', expected 'cuda'`);
  return { addon: r.addon, storage: t.storage as DeviceStorage };
}

/** Benchmarks: fills a CUDA tensor with uniform(-amp, amp) values made on the device (q8: random
 * int8 with scale amp / 127), so multi-GB random models need no upload. */
export function cudaFillRandom(t: Tensor, seed: number, amp: number): void {
  const { addon, storage } = cudaTensor('cudaFillRandom', t);
  if (t.dtype === 'i32') throw new TensorError('cudaFillRandom: expected a float tensor');
  const cols = t.shape.length ? t.shape[t.shape.length - 1] : 1;
  addon.fillRandom(storage, DTYPE_CODE[t.dtype], cols ? t.size / cols : 0, cols, seed, amp);
}

/** Benchmarks: device read bandwidth in bytes/s, streaming over the bytes of a CUDA tensor. */
export function cudaReadBandwidth(t: Tensor, iters = 20): number {
  const { addon, storage } = cudaTensor('cudaReadBandwidth', t);
  return addon.readBandwidth(storage, storage.byteLength - (storage.byteLength % 16), iters);
}
