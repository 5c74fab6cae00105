// Where a model runs and in which dtypes its weights are kept there.
import { type DType, type DeviceName, DeviceError, cudaAvailable } from '@gptj/tensor';

export type DeviceOption = 'cpu' | 'cuda' | 'auto';
export type LoadDType = 'auto' | 'f32' | 'f16' | 'bf16' | 'q8' | 'q4';
const LOAD_DTYPES: readonly LoadDType[] = ['auto', 'f32', 'f16', 'bf16', 'q8', 'q4'];

/**
 * 'auto' picks CUDA when the CUDA backend reports a usable GPU, else the CPU (always the CPU for dtype 'q4'). 'cuda' without one throws a
 * DeviceError (the tensor core's) carrying the backend's reason, e.g. "cudaErrorInsufficientDriver: ...".
 */
export function resolveDevice(asked: DeviceOption, probe = cudaAvailable, dtype: LoadDType = 'auto'): DeviceName {
  if (asked === 'cpu' || (asked === 'auto' && dtype === 'q4')) return 'cpu'; // q4 kernels exist on the CPU only
  if (asked !== 'cuda' && asked !== 'auto') throw new RangeError(`loadModel: device must be 'cpu', 'cuda' or 'auto', got ${JSON.stringify(asked)}`);
  const cuda = probe();
  if (cuda.available) return 'cuda';
  if (asked === 'auto') return 'cpu';
  throw new DeviceError(`loadModel: device 'cuda' was requested but CUDA is not available: ${cuda.reason ?? 'unknown reason'}`);
}

/**
 * The dtypes weights are kept in: `matrix` for every linear layer (and lm_head), `embedding` for wte.
 * 'auto' keeps the stored dtype, except f32 checkpoints on CUDA, which become f16: the CUDA decode runner
 * takes f16/bf16/q8 matrices only, and f32 would double the bytes every decode step reads.
 * q8 (int8 weight-only, per-row scales) and q4 (4-bit, groups of 32 with an f16 scale; CPU only: a DeviceError
 * on CUDA) apply to matrices; the embedding table is then f16 (the runners gather its rows; q4 has no gather).
 */
export function weightDTypes(device: DeviceName, stored: 'f32' | 'f16' | 'bf16', asked: LoadDType = 'auto'): { matrix: DType; embedding: DType } {
  if (!LOAD_DTYPES.includes(asked)) throw new RangeError(`loadModel: dtype must be one of ${LOAD_DTYPES.join(', ')}, got ${JSON.stringify(asked)}`);
  if (asked === 'q4' && device === 'cuda')
    throw new DeviceError("loadModel: dtype 'q4' runs on the CPU only (no CUDA q4 kernels); use device 'cpu', or dtype 'q8' on CUDA");
  const matrix: DType = asked !== 'auto' ? asked : device === 'cuda' && stored === 'f32' ? 'f16' : stored;
  return { matrix, embedding: matrix === 'q8' || matrix === 'q4' ? 'f16' : matrix };
}
