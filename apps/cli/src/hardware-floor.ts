// The hardware floor of decoding: producing one token reads every weight once, so a token cannot take less than
// (bytes of weights read per token) / (memory read bandwidth). `gptj bench` reports measured speed against it.
import type { GPTJConfig } from '@gptj/model';

export type WeightDtype = 'f32' | 'f16' | 'bf16' | 'q8' | 'q4';

// q4: 16 bytes of 4-bit codes and one f16 scale per 32 weights (@gptj/tensor's dtype.ts).
const BYTES: Record<WeightDtype, number> = { f32: 4, f16: 2, bf16: 2, q8: 1, q4: 18 / 32 };

/**
 * Bytes of weights one decode step reads. Matrices (q, k, v, out_proj, fc_in, fc_out, lm_head) are counted in the
 * weight dtype (q8 adds one f32 scale per row, q4's group scales are in its 18 bytes per 32); biases and LayerNorm vectors as f32 (small either way). The
 * embedding table is left out: a step reads one row of it.
 */
export function weightBytesPerToken(c: GPTJConfig, dtype: WeightDtype): number {
  const w = BYTES[dtype];
  const matrix = (rows: number, cols: number) => rows * cols * w + (dtype === 'q8' ? rows * 4 : 0);
  const d = c.nEmbd;
  const ff = c.nInner;
  const perLayer = 4 * matrix(d, d) + matrix(ff, d) + matrix(d, ff) + 4 * (2 * d + ff + d); // ln_1 (2d), fc_in bias, fc_out bias
  const head = matrix(c.vocabSize, d) + 4 * (c.vocabSize + 2 * d); // lm_head + its bias + ln_f
  return c.nLayer * perLayer + head;
}

/** Parameter count of a GPT-J with this config, embedding included (6,050,882,784 for GPT-J 6B). */
export function parameterCount(c: GPTJConfig): number {
  const d = c.nEmbd;
  const ff = c.nInner;
  const perLayer = 2 * d + 4 * d * d + (d * ff + ff) + (ff * d + d);
  return c.vocabSize * d + c.nLayer * perLayer + 2 * d + (c.vocabSize * d + c.vocabSize);
}

export interface BandwidthResult {
  /** Bytes per second, the best of the methods below. */
  bytesPerSecond: number;
  method: string;
  /** Each method's figure, bytes per second. */
  methods: Record<string, number>;
}

/**
 * Read bandwidth of the target device over a buffer far larger than any cache (default 256 MiB), best of
 * `samples` runs:
 * - cpu, `native-sum`: the tensor core's probe, a multi-stream sum over a huge-page buffer on all kernel threads
 *   (the same threads and page size the weights are read with);
 * - cuda, `cuda-read`: the CUDA backend's streaming read over a device tensor.
 */
export async function measureReadBandwidth(device: 'cpu' | 'cuda', bytes = 256 * 1024 * 1024, samples = 3): Promise<BandwidthResult> {
  const tensor = await import('@gptj/tensor');
  if (device === 'cpu') {
    const bytesPerSecond = tensor.measureReadBandwidth(bytes, samples);
    return { bytesPerSecond, method: 'native-sum', methods: { 'native-sum': bytesPerSecond } };
  }
  const { cudaReadBandwidth } = await import('@gptj/tensor/bench');
  const buffer = tensor.Tensor.zeros([Math.floor(bytes / 4)], 'f32', 'cuda');
  try {
    const bytesPerSecond = cudaReadBandwidth(buffer, samples * 10);
    return { bytesPerSecond, method: 'cuda-read', methods: { 'cuda-read': bytesPerSecond } };
  } finally {
    buffer.dispose();
  }
}
