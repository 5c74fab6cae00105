// The hardware floor of decoding: producing one token reads every weight once, so a token cannot take less than
// (bytes of weights read per token) / (memory read bandwidth). `gptj bench` reports measured speed against it.
import type { GPTJConfig } from '@gptj/model';

export type WeightDtype = 'f32' | 'f16' | 'bf16' | 'q8';

const BYTES: Record<WeightDtype, number> = { f32: 4, f16: 2, bf16: 2, q8: 1 };

/**
 * Bytes of weights one decode step reads. Matrices (q, k, v, out_proj, fc_in, fc_out, lm_head) are counted in the
 * weight dtype (q8 adds one f32 scale per row); biases and LayerNorm vectors as f32 (small either way). The
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

function best(samples: number, run: () => void): number {
  let fastest = Infinity;
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - t0);
  }
  return fastest / 1e3;
}

/**
 * Read bandwidth, measured two ways over a buffer far larger than any cache (default 256 MiB):
 * - `js`: one JS thread summing a Float64Array (a lower bound: one core cannot saturate most memory buses);
 * - `tensor-argmax`: the tensor core's argmax over a [rows, 4096] f32 matrix on the target device (a read-only
 *   pass: every element is read once, one int per row is written; spread over the kernel threads).
 * The larger figure is the one used for the floor. Best of `samples` runs after one warm-up.
 */
export async function measureReadBandwidth(device: 'cpu' | 'cuda', bytes = 256 * 1024 * 1024, samples = 3): Promise<BandwidthResult> {
  const methods: Record<string, number> = {};
  if (device === 'cpu') {
    const data = new Float64Array(bytes / 8).fill(1);
    let sink = 0;
    const sum = () => {
      let a = 0;
      let b = 0;
      let c = 0;
      let d = 0;
      for (let i = 0; i < data.length; i += 4) {
        a += data[i];
        b += data[i + 1];
        c += data[i + 2];
        d += data[i + 3];
      }
      sink += a + b + c + d;
    };
    sum();
    methods.js = bytes / best(samples, sum);
    if (sink === 0) throw new Error('unreachable: keeps the sum from being optimised away');
  }
  const tensor = await import('@gptj/tensor');
  const cols = 4096;
  const rows = Math.floor(bytes / 4 / cols);
  const matrix = tensor.Tensor.zeros([rows, cols], 'f32', device);
  try {
    const pass = () => {
      const out = tensor.argmax(matrix);
      out.toInt32Array(); // reading the result back waits for the device to finish
      out.dispose();
    };
    pass();
    methods['tensor-argmax'] = (rows * cols * 4) / best(samples, pass);
  } finally {
    matrix.dispose();
  }
  const [method, bytesPerSecond] = Object.entries(methods).reduce((a, b) => (b[1] > a[1] ? b : a));
  return { bytesPerSecond, method, methods };
}
