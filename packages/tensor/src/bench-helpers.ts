// @gptj/tensor/bench: helpers for benchmarks (tools/gpu-bench, tools/bench, `gptj bench`), not part of the tensor API.
export { cudaFillRandom, cudaReadBandwidth } from './cuda/index.js';
export { benchIds, greedyIds } from './bench-ids.js';
