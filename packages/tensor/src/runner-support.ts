// Which GPT-J configurations each runner runs, asked before building one (as ggml's backends answer
// supports_op): @gptj/model falls back to the layer kit on CUDA where the CUDA runner says no.
import type { DType, DeviceName } from './dtype.js';
import type { GPTJRunnerConfig } from './runner-shared.js';

/**
 * Matrix dtypes each runner reads (the CPU runner's wte: all but q4, whose rows it cannot gather). The CUDA
 * runner also wants every matrix in the same dtype.
 */
export const RUNNER_MATRIX_DTYPES: Record<DeviceName, readonly DType[]> = {
  cpu: ['f32', 'f16', 'bf16', 'q8', 'q4'],
  cuda: ['f16', 'bf16', 'q8'],
};
// The CUDA runner's attention kernels keep a head in registers.
const CUDA_MAX_HEAD_DIM = 256;

/**
 * Why the GPT-J runner on `device` cannot run `config` with its matrices in `matrixDType` (not checked when
 * omitted), or null when it can. The CPU runner runs every GPT-J; the CUDA runner fuses the tanh gelu and
 * keeps heads of at most 256 dims.
 */
export function gptjRunnerUnsupported(device: DeviceName, config: GPTJRunnerConfig, matrixDType?: DType): string | null {
  const activation = config.activation ?? 'gelu_new';
  if (activation !== 'gelu_new' && activation !== 'gelu') return `activation must be 'gelu_new' or 'gelu', got ${String(activation)}`;
  const dtypes = RUNNER_MATRIX_DTYPES[device];
  if (matrixDType !== undefined && !dtypes.includes(matrixDType))
    return `the ${device.toUpperCase()} runner needs ${dtypes.join(', ').replace(/, (?=[^,]*$)/, ' or ')} weights, not ${matrixDType}`;
  if (device === 'cpu') return null;
  if (activation === 'gelu') return 'the CUDA runner fuses the tanh gelu, this model uses the exact one';
  const headDim = config.nEmbd / config.nHead;
  if (headDim > CUDA_MAX_HEAD_DIM) return `the CUDA runner supports heads of at most ${CUDA_MAX_HEAD_DIM} dims, this model has ${headDim}`;
  return null;
}
