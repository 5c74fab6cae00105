// The bridge from a loaded GPTJModel to @gptj/tensor's GPT-J runners: the whole forward step in one
// native call, on the CPU (a libuv worker job) or on CUDA (replayed as a CUDA graph). The model holds its
// weights in the runners' shape (@gptj/tensor's gptj-weights.ts), so the runner reads the very tensors the
// model holds: no second copy of the weights is made.
import type { DType, DeviceName } from '@gptj/tensor';
import {
  type CpuGPTJRunner,
  type CudaGPTJRunner,
  type GPTJRunnerConfig,
  createCpuGPTJRunner,
  createCudaGPTJRunner,
  gptjRunnerUnsupported,
} from '@gptj/tensor/runner';
import type { GPTJConfig } from './config.js';
import type { GPTJWeights } from './gptj.js';

/** The runners' view of a config. */
function runnerConfig(config: GPTJConfig): GPTJRunnerConfig {
  return {
    vocabSize: config.vocabSize,
    nEmbd: config.nEmbd,
    nLayer: config.nLayer,
    nHead: config.nHead,
    nInner: config.nInner,
    rotaryDim: config.rotaryDim,
    layerNormEpsilon: config.layerNormEpsilon,
    activation: config.activationFunction === 'gelu' ? 'gelu' : 'gelu_new', // gelu_pytorch_tanh is the same tanh form
  };
}

/**
 * Why the GPT-J runner on `device` (default CUDA) cannot run this model with matrices in `matrixDType`, or null
 * when it can: @gptj/tensor's gptjRunnerUnsupported. Where the CUDA runner cannot, sessions decode through the
 * layer kit on CUDA; the CPU runner runs every GPT-J.
 */
export function runnerUnsupported(config: GPTJConfig, matrixDType: DType, device: DeviceName = 'cuda'): string | null {
  return gptjRunnerUnsupported(device, runnerConfig(config), matrixDType);
}

/** A runner over the model's weights on `device`; they must outlive it (GPTJModel.dispose disposes the runner first). */
export function createRunner(config: GPTJConfig, weights: GPTJWeights, device: DeviceName): CudaGPTJRunner | CpuGPTJRunner {
  const c = runnerConfig(config);
  return device === 'cuda' ? createCudaGPTJRunner(c, weights) : createCpuGPTJRunner(c, weights);
}
