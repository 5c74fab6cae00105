// @gptj/tensor/bench: helpers for GPU benchmarks (tools/gpu-bench), not part of the tensor API.
export { cudaFillRandom, cudaReadBandwidth } from './cuda/index.js';
