// The CPU addon (gptj_cpu.node: the package's build/Release or the prebuilt platform package, see
// addon-loader.ts) and one TS type for its whole binding. Tensors are passed as their native Storage
// plus plain numbers; the TS layer validates everything first, and the addon checks again (bounds,
// types, liveness) and throws instead of crashing.
import { loadCpuAddon } from './addon-loader.js';
import type { SharedOpBindings } from './addon-ops.js';
import type { GPTJRunnerConfig, RunnerWeights } from './runner-shared.js';

/** What both addons' layouts(rows, cols) report: dtype codes and the q8 layout (native/common/dtype.h). */
export interface NativeLayouts {
  dtypes: Record<string, number>;
  q8ScalesOffset: number;
  q8Bytes: number;
}

/** Native memory block behind a CPU tensor (see native/cpu/storage.h). */
export interface NativeStorage {
  readonly byteLength: number;
  readonly freed: boolean;
  free(): void;
  write(byteOffset: number, src: ArrayBufferView): void;
  read(byteOffset: number, dst: ArrayBufferView): void;
}

type S = NativeStorage;

export interface CpuAddon extends SharedOpBindings<NativeStorage> {
  /** new Storage(byteLength, zero) allocates; new Storage(bytes) views `bytes` zero-copy. */
  Storage: new (
    arg: number | Uint8Array,
    zero?: boolean,
  ) => NativeStorage;
  cpuFeatures(): { avx2: boolean; fma: boolean; f16c: boolean; avx512f: boolean };
  setNumThreads(n: number): void;
  numThreads(): number;
  /** bandwidth.ts's probe: every read method over a huge-page and a default-page buffer, bytes/s. */
  readBandwidth(
    bytes: number,
    passes: number,
  ): {
    threads: number;
    bytesPerBuffer: number;
    buffers: { hugePages: boolean; hugePageBytes: number }[];
    methods: { name: string; hugePages: boolean; best: number; median: number }[];
  };
  /** Native bytes reported to V8 with AdjustExternalMemory (tests, diagnostics). */
  externalMemory(): number;
  /** The dtype codes and packed layouts of a [rows, cols] matrix as the addon computes them (layouts.test.ts). */
  layouts(rows: number, cols: number): NativeLayouts & { q4Group: number; q4ScalesOffset: number; q4Bytes: number };
  mmapOpen(path: string): { handle: unknown; size: number };
  mmapView(handle: unknown, offset: number, length: number, populate?: boolean): ArrayBuffer;
  mmapClose(handle: unknown): void;
  dropFileCache(path: string): void;
  fileCacheResidency(path: string): { size: number; resident: number };
  attention(
    q: S,
    k: S,
    v: S,
    mask: S | null,
    out: S,
    B: number,
    T: number,
    H: number,
    D: number,
    Tmax: number,
    kvLength: number,
    scale: number,
    async: boolean,
  ): Promise<void> | undefined;
  linear(x: S, w: S, wDtype: number, bias: S | null, out: S, M: number, K: number, N: number, async: boolean): Promise<void> | undefined;
  /** The GPT-J decoder, one native job per step (native/cpu/gptj_runner.cpp). */
  CpuGPTJRunner: new (
    config: CpuRunnerNativeConfig,
    weights: RunnerWeights<{ storage: S; dtype: number }>,
  ) => CpuRunnerNative;
  CpuGPTJSession: new (runner: CpuRunnerNative, batchSize: number, maxLength: number) => CpuSessionNative;
}

/** The runner config as the addon takes it: every field given, the activation as a flag. */
export interface CpuRunnerNativeConfig extends Omit<GPTJRunnerConfig, 'ropeBase' | 'activation'> {
  ropeBase: number;
  geluTanh: boolean;
}
export interface CpuRunnerNative {
  dispose(): void;
}
export interface CpuSessionNative {
  readonly length: number;
  /** logits [B * V] of each row's last new position; with `hidden`, ln_f states [B * T * D] of every new position */
  forward(ids: Int32Array, T: number, mask: Int32Array | null, hidden?: boolean): Promise<Float32Array>;
  reorder(rows: Int32Array): void;
  dispose(): void;
}

/** Throws NativeAddonUnavailable at import when no addon fits this platform. */
export const cpu = loadCpuAddon() as CpuAddon;
