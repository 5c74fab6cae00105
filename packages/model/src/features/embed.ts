// embed: hidden-state features of many inputs, batched with bounded memory.
//
//   const vectors = await embed(model, ['def f(x):', 'import os'], { encode: (t) => tok.encode(t), normalize: true });
//
// An abort `signal` stops the run between micro-batches (AbortedError says how many inputs were done).
// Inputs are sorted by length and run in micro-batches of at most `batchSize` rows and `tokenBudget` padded
// tokens (left padding, masked out); results come back in input order. Padding does not change a row's
// states beyond float rounding: positions are cumsum(mask) - 1 and pad keys are masked, as in transformers.
import { AbortedError } from '../errors.js';
import { at } from '../at.js';
import type { GPTJModel } from '../gptj.js';
import { type Encode, type FeatureInput, inputIds, leftPad } from './inputs.js';
import { layerIndex, layerStates } from './layer-states.js';
import { batchLimits, microBatches } from './micro-batches.js';
import { type Pooling, checkPooling, l2Normalize, pool } from './pooling.js';

export interface EmbedOptions {
  /** Hidden-state index as transformers' output_hidden_states (0 = embeddings, n_layer or -1 = after ln_f, the default). */
  layer?: number;
  /** 'mean' over real tokens (default), 'last' real token, or 'none': every token's state, [length * D]. */
  pooling?: Pooling;
  /** Scale each vector (each token's vector for 'none') to unit L2 norm. */
  normalize?: boolean;
  /** Needed when an input is a text. */
  encode?: Encode;
  /** Padded tokens per forward pass (default 2048): bounds one pass's KV cache (n_layer x n_embd x 8 bytes per token) and activations. */
  tokenBudget?: number;
  /** Rows per forward pass (default 32). */
  batchSize?: number;
  /** Called after each micro-batch: inputs embedded so far, of `total`. */
  onProgress?: (p: { done: number; total: number }) => void;
  /** Stops the run before the next micro-batch (the one running finishes): embed then rejects with AbortedError. */
  signal?: AbortSignal;
}

/** One Float32Array per input, in input order: [n_embd] pooled, or [length * n_embd] for pooling 'none'. */
export async function embed(model: GPTJModel, inputs: readonly FeatureInput[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
  const op = 'embed';
  const pooling = checkPooling(op, opts.pooling ?? 'mean');
  const layer = layerIndex(op, opts.layer, model.config.nLayer);
  const limits = batchLimits(op, opts);
  const rows = inputIds(op, inputs, opts.encode, model.vocabSize, model.maxLength);
  const d = model.config.nEmbd;
  const out = new Array<Float32Array>(rows.length);
  let done = 0;
  for (const batch of microBatches(
    rows.map((r) => r.length),
    limits,
  )) {
    if (opts.signal?.aborted) throw new AbortedError(op, done, rows.length);
    const inBatch = batch.map((i) => ({ i, ids: at(rows, i) }));
    const { ids, mask, width } = leftPad(inBatch.map((r) => r.ids));
    const states = await layerStates(model, ids, mask, layer); // [B, width, D]
    inBatch.forEach((r, b) => {
      const v = pool(states, width, d, b, r.ids.length, pooling);
      out[r.i] = opts.normalize ? l2Normalize(v, d) : v;
    });
    done += batch.length;
    opts.onProgress?.({ done, total: rows.length });
  }
  return out;
}
