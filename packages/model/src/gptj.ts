// The GPT-J assembly (HF GPTJForCausalLM): wte -> n_layer x parallel-residual block -> ln_f -> lm_head.
// Block: x + attn(ln_1(x)) + mlp(ln_1(x)); attention without biases, interleaved rotary on the first
// rotary_dim dims of each head; MLP fc_in -> gelu_new -> fc_out; lm_head has a bias.
//
// Sessions run on @gptj/tensor's GPT-J runners (one native call per step: a libuv worker job on the CPU,
// CUDA graphs on the GPU; on CUDA when it supports the weights, see runnerUnsupported). forward and
// hiddenStates run the layer kit, each op on the device's per-op backend, with f32 activations; so does
// GPTJSession, the reference the runners are tested against.
import { type DType, type DeviceName, Tensor } from '@gptj/tensor';
import { type CpuGPTJPool, type CpuGPTJRunner, type CudaGPTJRunner, type RunnerWeights, gptjWeightSpecs, weightAt } from '@gptj/tensor/runner';
import { KVCache } from '@gptj/layers';
import type { GPTJConfig } from './config.js';
import { type GPTJModules, gptjModules } from './modules.js';
import { createRunner, runnerUnsupported } from './runner.js';
import { RunnerSession } from './runner-session.js';
import { type SequencePoolOptions, createSequencePool } from './sequence-pool.js';
import { arrayRows, checkBatchSize, checkTokenIds } from './inputs.js';
import { type DecodingSession, GPTJSession } from './session.js';
import { positionIds } from './positions.js';
import { at } from './at.js';

/**
 * A GPT-J's weight tensors, keyed as @gptj/tensor's weight list (gptjWeightSpecs) names them: matrices [out, in],
 * norms and biases f32. The runners read them as they are; the layer kit is built over them (`modules`).
 */
export type GPTJWeights = RunnerWeights<Tensor>;

export class GPTJModel {
  readonly vocabSize: number;
  readonly maxLength: number;
  readonly eosTokenId: number | null;
  readonly headDim: number;
  /** Why sessions on this model do not use the CUDA runner (null when they do; always null on the CPU). */
  readonly runnerUnsupported: string | null;
  /** The layer-kit objects over `weights`, for the per-op path. */
  readonly modules: GPTJModules;
  private runner: CudaGPTJRunner | CpuGPTJRunner | null = null;

  constructor(
    readonly config: GPTJConfig,
    readonly weights: GPTJWeights,
    readonly device: DeviceName,
    readonly dtype: DType,
  ) {
    this.vocabSize = config.vocabSize;
    this.maxLength = config.nPositions;
    this.eosTokenId = config.eosTokenId;
    this.headDim = config.nEmbd / config.nHead;
    this.runnerUnsupported = runnerUnsupported(config, dtype, device);
    this.modules = gptjModules(config, weights);
  }

  /** Logits f32 [B, T, V] for ids [B][T] (full recompute, no cache). Mask [B][T]: 1 = token, 0 = left pad. */
  async forward(ids: number[][], opts: { attentionMask?: number[][] } = {}): Promise<Tensor> {
    arrayRows('GPTJModel', 'ids', ids); // before ones(ids) reads them
    const caches = this.newCaches(ids.length, ids[0]?.length ?? 0);
    try {
      const h = await this.run(ids, opts.attentionMask ?? ones(ids), caches, 0);
      const logits = await this.modules.lmHead.forward(h); // [B, T, V]
      h.dispose();
      return logits;
    } finally {
      for (const c of caches) c.dispose();
    }
  }

  /**
   * Hidden states like transformers' output_hidden_states: n_layer + 1 tensors f32 [B, T, D] — the embedding
   * output, the input of blocks 1..n-1, and the final state after ln_f.
   */
  async hiddenStates(ids: number[][], opts: { attentionMask?: number[][] } = {}): Promise<Tensor[]> {
    arrayRows('GPTJModel', 'ids', ids); // before ones(ids) reads them
    const caches = this.newCaches(ids.length, ids[0]?.length ?? 0);
    const states: Tensor[] = [];
    try {
      const final = await this.run(ids, opts.attentionMask ?? ones(ids), caches, 0, states);
      return [...states, final];
    } finally {
      for (const c of caches) c.dispose();
    }
  }

  /**
   * A decoding session for `batchSize` rows with a KV cache of `maxLength` positions (default: the model's
   * context), backed by the device's GPT-J runner (on CUDA unless `runnerUnsupported` says why not).
   * `new GPTJSession(model, batchSize, maxLength)` runs the same steps op by op through the layer kit.
   */
  createSession(batchSize: number, maxLength: number = this.maxLength): DecodingSession {
    checkBatchSize(batchSize);
    if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > this.maxLength) {
      throw new RangeError(`createSession: maxLength must be an integer in [1, ${this.maxLength}], got ${maxLength}`);
    }
    if (this.runnerUnsupported) return new GPTJSession(this, batchSize, maxLength);
    this.runner ??= createRunner(this.config, this.weights, this.device);
    return new RunnerSession(this.runner.createSession(batchSize, maxLength), batchSize, maxLength, this.vocabSize);
  }

  /**
   * Continuous batching: a pool of up to `maxSequences` independent sequences that share every forward step (see
   * sequence-pool.ts). undefined where the model has no CPU runner (CUDA): run one session per sequence there.
   */
  createSequencePool(options: SequencePoolOptions): CpuGPTJPool | undefined {
    if (this.device !== 'cpu') return undefined;
    this.runner ??= createRunner(this.config, this.weights, this.device);
    return createSequencePool(this.runner as CpuGPTJRunner, this.maxLength, options);
  }

  /** One KV cache per layer: f32 [B, H, maxLen, Dh]. */
  newCaches(batchSize: number, maxLen: number): KVCache[] {
    return this.modules.blocks.map(() => new KVCache(batchSize, this.config.nHead, maxLen, this.headDim, this.device));
  }

  /**
   * Runs the transformer over new ids [B][T] placed after `offset` cached positions; `mask` [B][offset + T]
   * covers the cached and the new positions. Returns ln_f(x) f32 [B, T, D]; pushes each block's input
   * into `states` when given.
   */
  async run(ids: number[][], mask: number[][], caches: KVCache[], offset: number, states?: Tensor[]): Promise<Tensor> {
    const [first] = arrayRows('GPTJModel', 'ids', ids);
    arrayRows('GPTJModel', 'mask', mask);
    if (!first) throw new RangeError('GPTJModel: ids must be [B][T] with at least one row, got no rows');
    const blocks = this.modules.blocks;
    if (caches.length !== blocks.length) throw new RangeError(`GPTJModel: ${blocks.length} blocks need ${blocks.length} KV caches, got ${caches.length}`);
    const b = ids.length;
    const t = first.length;
    if (ids.some((row) => row.length !== t) || mask.length !== b || mask.some((row) => row.length !== offset + t)) {
      throw new RangeError(`GPTJModel: ids must be [${b}][${t}] and the mask [${b}][${offset + t}], every row the same length`);
    }
    checkTokenIds('GPTJModel', ids, this.vocabSize);
    if (offset + t > this.maxLength) throw new RangeError(`GPTJModel: ${offset + t} positions exceed the context of ${this.maxLength}`);
    const onDevice = (x: Tensor): Tensor => {
      if (this.device === 'cpu') return x;
      const y = x.to(this.device);
      x.dispose();
      return y;
    };
    const idsT = onDevice(Tensor.fromArray(new Int32Array(ids.flat()), [b, t], { dtype: 'i32' }));
    const positions = onDevice(Tensor.fromArray(new Int32Array(positionIds(mask).flatMap((r) => r.slice(offset))), [b, t], { dtype: 'i32' }));
    const maskT = onDevice(Tensor.fromArray(new Int32Array(mask.flat()), [b, offset + t], { dtype: 'i32' }));
    try {
      let x = this.modules.wte.forward(idsT); // [B, T, D]
      for (const [i, block] of blocks.entries()) {
        if (states) states.push(x);
        const y = await block.forward(x, { positions, cache: at(caches, i), offset, mask: maskT });
        if (!states) x.dispose();
        x = y;
      }
      const out = this.modules.lnF.forward(x); // [B, T, D]
      x.dispose();
      return out;
    } finally {
      for (const tensor of [idsT, positions, maskT]) tensor.dispose();
    }
  }

  dispose(): void {
    this.runner?.dispose(); // reads the weights: goes first
    this.runner = null;
    for (const spec of gptjWeightSpecs(this.config)) weightAt(this.weights, spec)?.dispose();
  }
}

function ones(ids: number[][]): number[][] {
  return ids.map((row) => row.map(() => 1));
}
