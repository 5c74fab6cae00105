// @gptj/tensor: tensors, dtypes, devices and the ops a transformer needs (see README.md).
export { Tensor } from './tensor.js';
export type { DType, DeviceName } from './dtype.js';
export { TensorError, ShapeError, DTypeError, DeviceError, DisposedError, IndexError } from './errors.js';
export { mmapFile } from './mmap.js';
export type { MappedFile } from './mmap.js';
export { cudaAvailable } from './backend.js';
export type { Backend, BackendStorage } from './backend.js';
export { setNumThreads, getNumThreads, measureReadBandwidth } from './cpu-backend.js';
export { cast } from './ops/cast.js';
export { linear, linearAsync, matmul } from './ops/linalg.js';
export { add, mul, scale, gelu } from './ops/elementwise.js';
export { layerNorm, softmax } from './ops/norm.js';
export { rotary, kvWrite, attention, attentionAsync } from './ops/attention.js';
export type { RotaryOptions, AttentionOptions } from './ops/attention.js';
export { concat, slice, transpose } from './ops/shape.js';
export { embedding, argmax, topk } from './ops/index-ops.js';
export { createGPTJRunner, GPTJRunner, GPTJRunnerSession, cudaDeviceInfo, cudaFillRandom, cudaReadBandwidth } from './cuda/index.js';
export type { GPTJRunnerConfig, GPTJRunnerLayerWeights, GPTJRunnerWeights, CudaProbe } from './cuda/index.js';
