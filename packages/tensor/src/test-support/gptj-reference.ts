// GPT-J's forward step op by op with this package's own ops (what @gptj/layers does), over a per-layer f32 KV
// cache: the reference the CPU runner must equal exactly and the CUDA runner must approach. One step may append
// several positions (a prompt) or one (decode); left padding and beam reorders follow transformers' generate.
import { add, attention, embedding, gelu, kvWrite, layerNorm, linear, rotary, slice } from '../index.js';
import type { RunnerWeights } from '../gptj-weights.js';
import type { GPTJRunnerConfig } from '../runner-shared.js';
import { Tensor } from '../tensor.js';

export class GPTJOpsReference {
  private k: Tensor[];
  private v: Tensor[];
  private mask: number[][];

  /** Weights f32 (or any dtype the ops take) on the CPU; a KV cache for `batchSize` rows of `maxLength` positions. */
  constructor(
    private readonly w: RunnerWeights<Tensor>,
    private readonly c: GPTJRunnerConfig,
    private readonly batchSize: number,
    private readonly maxLength: number,
  ) {
    const zeros = () =>
      Tensor.fromArray(new Float32Array(batchSize * c.nHead * maxLength * (c.nEmbd / c.nHead)), [batchSize, c.nHead, maxLength, c.nEmbd / c.nHead]);
    this.k = w.layers.map(zeros);
    this.v = w.layers.map(zeros);
    this.mask = Array.from({ length: batchSize }, () => []);
  }

  /** Appends ids [B][T] (mask [B][T], default all 1); the last position's logits, [B * vocabSize]. */
  forward(ids: number[][], newMask = ids.map((r) => r.map(() => 1))): Float32Array {
    const { batchSize: B, c, w } = this;
    const T = ids[0].length,
      offset = this.mask[0].length,
      H = c.nHead,
      Dh = c.nEmbd / H;
    if (offset + T > this.maxLength) throw new RangeError(`GPTJOpsReference: ${offset + T} positions exceed ${this.maxLength}`);
    this.mask = this.mask.map((r, b) => [...r, ...newMask[b]]);
    // position ids: cumsum(mask) - 1 over everything seen, 1 at padding (transformers' generate)
    const pos = this.mask
      .map((r) => {
        let s = 0;
        return r.map((m) => (m ? ++s - 1 : 1));
      })
      .map((r) => r.slice(offset));
    const kept: Tensor[] = [];
    const keep = <X extends Tensor>(t: X): X => (kept.push(t), t);
    const positions = keep(Tensor.fromArray(pos.flat(), [B, T], { dtype: 'i32' }));
    const maskT = keep(Tensor.fromArray(this.mask.flat(), [B, offset + T], { dtype: 'i32' }));
    const rope = { rotaryDim: c.rotaryDim, style: 'interleaved' as const };
    const gelu_ = (c.activation ?? 'gelu_new') === 'gelu_new' ? 'tanh' : 'none';
    let x = keep(embedding(w.wte, keep(Tensor.fromArray(ids.flat(), [B, T], { dtype: 'i32' })))); // [B, T, D]
    w.layers.forEach((l, i) => {
      const h = keep(layerNorm(x, l.lnGamma, l.lnBeta, c.layerNormEpsilon)); // one LN feeds both branches
      const heads = (t: Tensor) => keep(keep(t).reshape([B, T, H, Dh]));
      const q = keep(rotary(heads(linear(h, l.q)), positions, rope));
      kvWrite(this.k[i], keep(rotary(heads(linear(h, l.k)), positions, rope)), offset);
      kvWrite(this.v[i], heads(linear(h, l.v)), offset);
      const o = keep(keep(attention(q, this.k[i], this.v[i], { kvLength: offset + T, mask: maskT })).reshape([B, T, c.nEmbd]));
      const a = keep(linear(o, l.out));
      const m = keep(linear(keep(gelu(keep(linear(h, l.fcIn, l.fcInBias)), gelu_)), l.fcOut, l.fcOutBias));
      x = keep(add(keep(add(x, a)), m)); // parallel residual
    });
    const last = keep(layerNorm(keep(slice(x, 1, T - 1, T)), w.lnfGamma, w.lnfBeta, c.layerNormEpsilon));
    const logits = keep(linear(last, w.lmHead, w.lmHeadBias)).toFloat32Array();
    for (const t of kept) t.dispose();
    return logits;
  }

  /** Beam search: new row b = old row rows[b] (KV cache and mask). */
  reorder(rows: number[]): void {
    const perm = (t: Tensor) => {
      const a = t.toFloat32Array(),
        n = a.length / this.batchSize,
        out = new Float32Array(a.length),
        shape = t.shape;
      rows.forEach((r, b) => out.set(a.subarray(r * n, (r + 1) * n), b * n));
      t.dispose();
      return Tensor.fromArray(out, shape);
    };
    this.k = this.k.map(perm);
    this.v = this.v.map(perm);
    this.mask = rows.map((r) => [...this.mask[r]]);
  }

  dispose(): void {
    for (const t of [...this.k, ...this.v]) t.dispose();
  }
}
