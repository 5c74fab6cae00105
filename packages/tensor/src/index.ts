// @gptj/tensor: tensors, dtypes, devices and the ops a transformer needs (see README.md).
export { Tensor } from './tensor.js';
export type { DType, DeviceName } from './dtype.js';
export { Q4_GROUP, q4ScalesOffset } from './dtype.js'; // the q4 layout, for readers and writers of stored q4 weights
export { TensorError, ShapeError, DTypeError, DeviceError, DisposedError, IndexError, MappedFileError, NonFiniteError } from './errors.js';
export { mmapFile, MAPPED_FILE_EXIT_CODE } from './mmap.js';
export { dropFileCache, fileCacheResidency } from './page-cache.js';
export type { MappedFile } from './mmap.js';
export { NativeAddonUnavailable } from './addon-unavailable.js';
export type { NativePlatform, AddonAttempt } from './addon-unavailable.js';
export { cudaAvailable } from './backend.js';
export type { Backend, BackendStorage } from './backend.js';
export { measureReadBandwidth, probeReadBandwidth } from './bandwidth.js';
export type { ReadBandwidthProbe, ReadMethodResult } from './bandwidth.js';
export { setNumThreads, getNumThreads, THREADS_CAPPED } from './threads.js';
export { cast } from './ops/cast.js';
export type { CastOptions } from './ops/cast.js';
export { linear, linearAsync, matmul } from './ops/linalg.js';
export { add, mul, scale, gelu } from './ops/elementwise.js';
export { layerNorm, softmax } from './ops/norm.js';
export { rotary, kvWrite, attention, attentionAsync } from './ops/attention.js';
export type { RotaryOptions, AttentionOptions } from './ops/attention.js';
export { concat, slice, transpose } from './ops/shape.js';
export { embedding, argmax, topk } from './ops/index-ops.js';
export { cudaDeviceInfo } from './cuda/index.js';
export type { CudaProbe } from './cuda/index.js';
// The GPT-J runners, the CPU sequence pool and GPT-J's weight list: '@gptj/tensor/runner'; GPU benchmark helpers:
// '@gptj/tensor/bench'.
