// The CUDA addon (gptj_cuda.node: build/Release where nvcc was found at build time, else the
// optional @gptj/tensor-cuda-linux-x64 package, see addon-loader.ts) and one TS type for its whole
// binding. Loaded lazily, once: a missing addon, one that fails to load, a machine without an NVIDIA
// driver or GPU, or GPTJ_NO_CUDA=1 all end up as `{ reason }`, never as an exception at import time.
import { CUDA_ADDON, findAddon } from '../addon-loader.js';
import type { SharedOpBindings } from '../addon-ops.js';
import type { AddonAttempt } from '../addon-unavailable.js';
import type { RunnerWeights } from '../gptj-weights.js';
import type { NativeLayouts } from '../native.js';
import type { GPTJRunnerConfig } from '../runner-shared.js';

/** Device memory of one CUDA tensor (native/cuda/device_storage.h): same surface as the CPU Storage. */
export interface DeviceStorage {
  readonly byteLength: number;
  readonly freed: boolean;
  free(): void;
  /** host -> device, synchronous */
  write(byteOffset: number, src: ArrayBufferView): void;
  /** device -> host, waits for the queued work */
  read(byteOffset: number, dst: ArrayBufferView): void;
  copyFrom(dstOffset: number, src: DeviceStorage, srcOffset: number, byteLength: number): void;
}

type S = DeviceStorage;

export interface CudaProbe {
  available: boolean;
  reason?: string;
  device?: string;
  computeCapability?: string;
  totalMemory?: number;
  multiprocessors?: number;
  /** soname of the cuBLASLt that was opened, or why none was */
  cublasLt?: string;
}

/** Config of the native GPT-J runner: the runner config plus the DTYPE_CODE of each weight group. */
export interface NativeRunnerConfig extends Omit<GPTJRunnerConfig, 'activation'> {
  weightDtype: number;
  lnDtype: number;
  wteDtype: number;
}

/** One block's weights, nn.Linear layout ([out, in]): Tensors in the public API, their storages for the addon. */
export type NativeRunnerWeights = RunnerWeights<S>;

export interface NativeRunner {
  dispose(): void;
}

export interface NativeSession {
  readonly length: number;
  /** Settles once `out` holds the step's result (the GPU work is awaited on a libuv worker). */
  forward(ids: Int32Array, T: number, mask: Int32Array | null, out: Float32Array | Int32Array): Promise<void>;
  /** The same step; `out` [B * T * nEmbd] gets the final states (after ln_f) of every appended position, no lm_head. */
  forwardHidden(ids: Int32Array, T: number, mask: Int32Array | null, out: Float32Array): Promise<void>;
  reorder(rows: Int32Array): void;
  dispose(): void;
}

export interface CudaAddon extends SharedOpBindings<DeviceStorage> {
  probe(): CudaProbe;
  /** dtype codes and q8 layout as this addon computes them; needs no GPU (layouts.test.ts). */
  layouts(rows: number, cols: number): NativeLayouts;
  DeviceStorage: new (byteLength: number, zero: boolean) => DeviceStorage;
  synchronize(): void;
  // Besides the ops both addons share (addon-ops.ts), in their argument order: inputs, output, dims, then parameters.
  linear(x: S, w: S, wDtype: number, bias: S | null, y: S, M: number, K: number, N: number): void;
  attention(q: S, k: S, v: S, mask: S | null, out: S, B: number, T: number, H: number, D: number, Tmax: number, kvLength: number, scale: number): void;
  quantizeQ8(x: S, xDtype: number, rows: number, cols: number, q: S): void;
  dequantizeQ8(q: S, rows: number, cols: number, y: S, yDtype: number): void;
  /** benchmark helpers: uniform(-amp, amp) fill made on the device; streaming-read bytes/s */
  fillRandom(storage: S, dtype: number, rows: number, cols: number, seed: number, amp: number): void;
  readBandwidth(storage: S, bytes: number, iters: number): number;
  GPTJRunner: new (config: NativeRunnerConfig, weights: NativeRunnerWeights) => NativeRunner;
  GPTJSession: new (runner: NativeRunner, batchSize: number, maxLength: number) => NativeSession;
}

export type CudaLoad = { addon: CudaAddon; probe: CudaProbe } | { addon?: undefined; reason: string };

let loaded: CudaLoad | undefined;

/** Loads and probes the addon once. GPTJ_NO_CUDA (any non-empty value) disables CUDA. */
export function loadCudaAddon(): CudaLoad {
  if (loaded) return loaded;
  if (process.env.GPTJ_NO_CUDA) return (loaded = { reason: 'disabled by the GPTJ_NO_CUDA environment variable' });
  const found = findAddon(CUDA_ADDON);
  if (!found.found) return (loaded = { reason: cudaMissingReason(found.tried, CUDA_ADDON.packageName(found.platform)) });
  const addon = found.addon as CudaAddon;
  const probe = addon.probe();
  loaded = probe.available ? { addon, probe } : { reason: probe.reason ?? 'CUDA is not available' };
  return loaded;
}

/** Why no CUDA addon loaded: the first that was there and failed, or that none was there. */
export function cudaMissingReason(tried: readonly AddonAttempt[], packageName: string): string {
  const failed = tried.find((t) => !t.missing);
  if (failed) return `the CUDA addon failed to load: ${failed.error} (${failed.path})`;
  return (
    `no CUDA addon: this build of @gptj/tensor has none (nvcc was not found when it was built) ` +
    `and ${packageName} is not installed (GPU users: npm i ${packageName})`
  );
}
