// The backend abstraction: the ONE place where an op meets a device (after candle's storage.rs).
//
// Every public op (src/ops/*) validates its arguments, then calls `dispatch(op, tensors)`, which
// checks that no tensor is disposed and that all sit on one device, and returns that device's
// Backend. The Backend runs kernels on already-validated tensors: it never re-checks shapes, and
// writes into an output tensor the op allocated with `backend.alloc` (contiguous, row-major).
//
// Implementing a backend (the CUDA one lives in src/cuda/ and registers itself with
// `registerCudaBackend`):
//   * storage: `alloc`/`upload` return an object with `byteLength` and `free()`; a Tensor keeps it
//     in `tensor.storage` (for CUDA: a handle to a device pointer). Byte layout is the same on every
//     device, q8 included (see dtype.ts: int8 values, pad to 64 B, then per-row f32 scales).
//   * kernels: one method per op family below; shapes and dtypes are those the op documents.
//   * `linearAsync`/`attentionAsync` resolve when the result is ready; the caller keeps inputs alive.
// When CUDA cannot be used, the `cuda` slot holds a dummy backend whose every call throws a
// DeviceError carrying the reason (after candle's dummy_cuda_backend.rs), so no op needs `if (cuda)`.
import type { DeviceName } from './dtype.js';
import { DeviceError, DisposedError, describeArgs } from './errors.js';
import type { Tensor } from './tensor.js';

/** Device memory of one tensor (or of several views of it). */
export interface BackendStorage {
  readonly byteLength: number;
  free(): void;
}

/** Element strides (0 = broadcast) of a and b over the output shape of add/mul. */
export interface BroadcastLayout {
  shape: number[];
  aStrides: number[];
  bStrides: number[];
}

/** dst[dstOffset + i.dstStrides] = src[srcOffset + i.srcStrides] over `shape`, in elements. */
export interface CopyLayout {
  shape: number[];
  srcStrides: number[];
  srcOffset: number;
  dstStrides: number[];
  dstOffset: number;
}

/** Batch dims of matmul: output batch shape and each input's stride in whole matrices (0 = broadcast). */
export interface BatchLayout {
  shape: number[];
  aStrides: number[];
  bStrides: number[];
}

export interface Backend {
  readonly device: DeviceName;
  // memory
  alloc(byteLength: number, zero: boolean): BackendStorage;
  upload(bytes: Uint8Array): BackendStorage; // copy host -> device
  download(src: BackendStorage, byteOffset: number, dst: Uint8Array): void; // copy device -> host
  write(dst: BackendStorage, byteOffset: number, src: Uint8Array): void; // copy host -> part of a storage
  // kernels (see each op in src/ops for shapes)
  cast(x: Tensor, out: Tensor): void;
  linear(x: Tensor, w: Tensor, bias: Tensor | null, out: Tensor): void;
  linearAsync(x: Tensor, w: Tensor, bias: Tensor | null, out: Tensor): Promise<void>;
  matmul(a: Tensor, b: Tensor, out: Tensor, batch: BatchLayout): void;
  binary(op: 'add' | 'mul', a: Tensor, b: Tensor, out: Tensor, layout: BroadcastLayout): void;
  scale(x: Tensor, s: number, out: Tensor): void;
  gelu(x: Tensor, approximate: 'tanh' | 'none', out: Tensor): void;
  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number, out: Tensor): void;
  softmax(x: Tensor, out: Tensor): void;
  rotary(x: Tensor, positions: Tensor, rotaryDim: number, style: 'interleaved' | 'half', base: number, out: Tensor): void;
  attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, kvLength: number, scale: number, out: Tensor): void;
  attentionAsync(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, kvLength: number, scale: number, out: Tensor): Promise<void>;
  stridedCopy(src: Tensor, dst: Tensor, layout: CopyLayout): void; // elements of src.dtype (not q8)
  embedding(table: Tensor, ids: Tensor, out: Tensor): void;
  argmax(x: Tensor, out: Tensor): void;
  topk(x: Tensor, k: number, values: Tensor, indices: Tensor): void;
}

/** A backend that cannot run: every member throws a DeviceError with the reason. */
export function unavailableBackend(device: DeviceName, reason: string): Backend {
  return new Proxy({ device } as Backend, {
    get(target, prop) {
      if (prop === 'device') return device;
      if (prop === 'then') return undefined; // not a thenable
      return () => {
        throw new DeviceError(`${String(prop)}: device '${device}' is not available: ${reason}`);
      };
    },
  });
}

let cpuBackend: Backend | undefined;
let cudaFactory: (() => Backend) | undefined;
let cudaBackend: Backend | undefined;
let cudaReason: string | undefined;

/** Called once by the CPU backend module. */
export function registerCpuBackend(b: Backend): void {
  cpuBackend = b;
}

/**
 * Called by the CUDA backend module when it is imported. `factory` loads the CUDA addon and
 * throws (with the reason as message) when CUDA cannot be used on this machine.
 */
export function registerCudaBackend(factory: () => Backend): void {
  cudaFactory = factory;
  cudaBackend = undefined;
  cudaReason = undefined;
}

function loadCuda(): Backend {
  if (cudaBackend) return cudaBackend;
  if (process.env.GPTJ_NO_CUDA) cudaReason = 'disabled by the GPTJ_NO_CUDA environment variable';
  else if (!cudaFactory) cudaReason = 'this build of @gptj/tensor has no CUDA backend';
  else {
    try {
      cudaBackend = cudaFactory();
      return cudaBackend;
    } catch (e) {
      cudaReason = e instanceof Error ? e.message : String(e);
    }
  }
  cudaBackend = unavailableBackend('cuda', cudaReason!);
  return cudaBackend;
}

/** The backend of a device (the dummy one, throwing DeviceError, when it is unavailable). */
export function backendFor(device: DeviceName): Backend {
  if (device === 'cpu') {
    if (!cpuBackend) throw new DeviceError('cpu: the CPU backend is not loaded');
    return cpuBackend;
  }
  if (device === 'cuda') return loadCuda();
  throw new DeviceError(`unknown device '${String(device)}' (expected 'cpu' or 'cuda')`);
}

/** Whether CUDA can be used, and why not. */
export function cudaAvailable(): { available: boolean; reason?: string } {
  loadCuda();
  return cudaReason === undefined ? { available: true } : { available: false, reason: cudaReason };
}

/**
 * The single dispatch point: every input must be live and on the same device; returns that
 * device's backend. `inputs` maps argument names to tensors (null/undefined = absent).
 */
export function dispatch(op: string, inputs: Readonly<Record<string, Tensor | null | undefined>>): Backend {
  let device: DeviceName | undefined;
  for (const [name, t] of Object.entries(inputs)) {
    if (t == null) continue;
    if (t.disposed) throw new DisposedError(`${op}: ${name} was disposed${describeArgs(inputs)}`);
    if (device === undefined) device = t.device;
    else if (t.device !== device) throw new DeviceError(`${op}: tensors are on different devices${describeArgs(inputs)}; move them with .to(device)`);
  }
  return backendFor(device ?? 'cpu');
}
