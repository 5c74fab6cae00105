import { type DType, type DeviceName, Tensor, TensorError, cast } from '@gptj/tensor';
import { CheckpointFormatError } from '../errors.js';
import { type TensorEntry, matrixShape } from './entries.js';
import { scalesAsF32 } from './int8-layout.js';
import { q4FromParts } from './q4-layout.js';

type FloatDType = 'f32' | 'f16' | 'bf16';
const AS_TENSOR_DTYPE: ReadonlyMap<string, FloatDType> = new Map([
  ['F32', 'f32'],
  ['F16', 'f16'],
  ['BF16', 'bf16'],
]);

/**
 * Makes weight tensors from checkpoint entries, one at a time:
 * - stored dtype == wanted dtype, with `mmap`: a zero-copy view of the memory-mapped file (Tensor.fromBytes
 *   copies only if the data is misaligned; a device upload reads straight from the map);
 * - otherwise (and for every tensor without `mmap`): the bytes are read (pread, not mapped, so nothing
 *   stays resident) into one reused scratch buffer and converted by the native cast (a plain copy for the
 *   same dtype); the source copy is dropped before the next tensor.
 * - a stored int8 weight (I8 + its scales, see int8-layout.ts): read into the scratch buffer and copied into a
 *   q8 tensor as is (no requantization); for a float `want` that q8 tensor is then dequantized by the cast.
 * - a stored q4 weight (U8 codes + F16 scales, see q4-layout.ts): likewise into a q4 tensor, byte for byte.
 * Peak memory is the converted weights plus one scratch buffer the size of the largest tensor.
 */
export class TensorLoader {
  private scratch = new Uint8Array(0);

  constructor(
    private readonly device: DeviceName,
    private readonly mmap = true,
  ) {}

  /** `readWhole` false: a mapped view's pages are not read in at load (an embedding table, read a few rows at a time). */
  load(e: TensorEntry, want: DType, readWhole = true): Tensor {
    const stored = storedAsTensorDType(e);
    let host: Tensor;
    if (stored === want && this.mmap) {
      host = Tensor.fromBytes(e.file.view(e.offset, e.byteLength, readWhole), e.shape, stored);
    } else {
      if (this.scratch.length < e.byteLength) this.scratch = new Uint8Array(e.byteLength);
      const src = Tensor.fromBytes(e.file.read(e.offset, e.byteLength, this.scratch), e.shape, stored);
      host = cast(src, want, { name: e.name }); // same dtype: a copy into process memory (2 MiB pages for large tensors)
      src.dispose();
    }
    return this.toDevice(host);
  }

  /** An int8 weight [out, in] and its scales ([out, 1] or [out]) as `want`: q8 exactly as stored, or dequantized. */
  loadInt8(weight: TensorEntry, scale: TensorEntry, want: DType): Tensor {
    const [rows, cols] = matrixShape(weight);
    if (this.scratch.length < weight.byteLength) this.scratch = new Uint8Array(weight.byteLength);
    const scales = scalesAsF32(scale.file.read(scale.offset, scale.byteLength), scale.dtype, rows);
    const values = weight.file.read(weight.offset, weight.byteLength, this.scratch);
    let host: Tensor;
    try {
      host = Tensor.fromQ8(new Int8Array(values.buffer, values.byteOffset, values.byteLength), scales, [rows, cols]);
    } catch (e) {
      // shapes were checked against the config, so what is left to reject is a scale (negative, NaN, infinite)
      if (e instanceof TensorError) throw new CheckpointFormatError(scale.file.name, e.message, scale.name);
      throw e;
    }
    return this.toDevice(this.convert(host, want));
  }

  /** A q4 weight's codes (U8 [out, in / 2]) and group scales (F16 [out, in / 32]) as `want`: q4 as stored, or converted. */
  loadQ4(codes: TensorEntry, scale: TensorEntry, want: DType): Tensor {
    const [rows, half] = matrixShape(codes);
    if (this.scratch.length < codes.byteLength) this.scratch = new Uint8Array(codes.byteLength);
    const scales = scale.file.read(scale.offset, scale.byteLength);
    const bad = firstNonFiniteF16(scales);
    if (bad >= 0) {
      const groups = half / 16;
      throw new CheckpointFormatError(scale.file.name, `q4 scale of row ${Math.floor(bad / groups)}, group ${bad % groups} is not finite`, scale.name);
    }
    const host = q4FromParts(codes.file.read(codes.offset, codes.byteLength, this.scratch), scales, rows, 2 * half);
    return this.toDevice(this.convert(host, want));
  }

  /** `q` itself when it is in `want`, else its cast (q disposed). */
  private convert(q: Tensor, want: DType): Tensor {
    if (q.dtype === want) return q;
    try {
      return cast(q, want);
    } finally {
      q.dispose();
    }
  }

  private toDevice(host: Tensor): Tensor {
    if (this.device === 'cpu') return host;
    const dev = host.to(this.device);
    host.dispose();
    return dev;
  }

  /** Drops the scratch buffer. */
  release(): void {
    this.scratch = new Uint8Array(0);
  }
}

/** The tensor dtype of a float entry; TypeError for any other (checkTensors lets only float weights through). */
export function storedAsTensorDType(e: TensorEntry): FloatDType {
  const dtype = AS_TENSOR_DTYPE.get(e.dtype);
  if (!dtype) throw new TypeError(`${e.name}: stored as ${e.dtype}, not a float tensor`);
  return dtype;
}

/** Index of the first f16 (little-endian bytes) that is infinite or NaN (all exponent bits set), or -1. */
function firstNonFiniteF16(bytes: Uint8Array): number {
  for (let i = 1; i < bytes.length; i += 2) if ((bytes[i]! & 0x7c) === 0x7c) return (i - 1) / 2;
  return -1;
}
