// @gptj/tensor/runner: the GPT-J runners (a whole forward step per native call, on the CPU and on CUDA), the CPU
// sequence pool, GPT-J's weight list they read and the predicate that says which configurations each runs. The
// surface @gptj/model builds on; the tensor API itself is the package's main entry.
export { createCpuGPTJRunner, CpuGPTJRunner, CpuGPTJRunnerSession } from './cpu-runner.js';
export { createCpuGPTJPool, CpuGPTJPool, POOL_BLOCK_SIZE } from './cpu-pool.js';
export type { CpuGPTJPoolOptions, PoolStepEntry } from './cpu-pool.js';
export { createCudaGPTJRunner, CudaGPTJRunner, CudaGPTJRunnerSession } from './cuda/index.js';
export { createGPTJRunner, GPTJRunner, GPTJRunnerSession } from './cuda/index.js'; // deprecated names of the three above
export type { GPTJRunnerConfig, GPTJRunnerLayerWeights, GPTJRunnerWeights } from './cuda/index.js';
export { gptjWeightSpecs, gptjWeightRole, buildRunnerWeights, weightAt } from './gptj-weights.js';
export type { GPTJWeightDims, GPTJWeightRole, GPTJWeightSpec, RunnerLayerWeights, RunnerWeights } from './gptj-weights.js';
export { gptjRunnerUnsupported, RUNNER_MATRIX_DTYPES } from './runner-support.js';
