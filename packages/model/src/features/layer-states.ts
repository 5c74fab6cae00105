// The hidden states of one layer for a padded batch, indexed like transformers' output_hidden_states:
// 0 = the embedding output, i in 1..n_layer-1 = the input of block i (the output of block i-1),
// n_layer = the final state after ln_f (last_hidden_state). Negative indices count from the end (-1 = final).
import type { CpuGPTJRunner, CudaGPTJRunner } from '@gptj/tensor/runner';
import type { GPTJModel } from '../gptj.js';
import { createRunner } from '../runner.js';
import { at } from '../at.js';

/** `layer` as an index in [0, nLayer]; RangeError outside [-(nLayer + 1), nLayer]. */
export function layerIndex(op: string, layer: number | undefined, nLayer: number): number {
  const l = layer ?? nLayer;
  if (!Number.isInteger(l) || l < -(nLayer + 1) || l > nLayer) {
    throw new RangeError(
      `${op}: layer must be an integer in [${-(nLayer + 1)}, ${nLayer}] (0 = embeddings, ${nLayer} or -1 = after ln_f), got ${String(layer)}`,
    );
  }
  return l < 0 ? nLayer + 1 + l : l;
}

/**
 * States f32 [B * T * D] of layer `layer` (an index from layerIndex) for ids [B][T] with mask [B][T].
 * The final layer skips lm_head and keeps no per-layer states (finalStatesPath); other layers go through
 * hiddenStates (the layer kit), whose other tensors are freed at once.
 */
export async function layerStates(model: GPTJModel, ids: number[][], mask: number[][], layer: number): Promise<Float32Array> {
  if (layer === model.config.nLayer) return finalStatesPath(model)(model, ids, mask);
  const states = await model.hiddenStates(ids, { attentionMask: mask });
  try {
    return at(states, layer).toFloat32Array(); // n_layer + 1 states; layerIndex kept `layer` in [0, n_layer]
  } finally {
    for (const s of states) s.dispose();
  }
}

type FinalStates = (model: GPTJModel, ids: number[][], mask: number[][]) => Promise<Float32Array>;

/**
 * How the final states of `model` are computed: by its device's GPT-J runner (forwardHidden) wherever its sessions
 * use that runner (always on the CPU; on CUDA unless `runnerUnsupported` says why not), else by the layer kit.
 */
export function finalStatesPath(model: Pick<GPTJModel, 'runnerUnsupported'>): FinalStates {
  return model.runnerUnsupported === null ? runnerFinalStates : layerKitFinalStates;
}

// One runner per model for the features (the model's own runner is private to its sessions). It reads the
// model's weight tensors in place (the CPU one copies only norms and biases); it goes with the model (WeakMap).
const runners = new WeakMap<GPTJModel, CpuGPTJRunner | CudaGPTJRunner>();

/** The final states through the device's runner: one native step (a CUDA step is not graph-replayed), KV cache sized to this batch. */
export async function runnerFinalStates(model: GPTJModel, ids: number[][], mask: number[][]): Promise<Float32Array> {
  let runner = runners.get(model);
  if (!runner) {
    runner = createRunner(model.config, model.weights, model.device);
    runners.set(model, runner);
  }
  const session = runner.createSession(ids.length, at(ids, 0).length);
  try {
    return await session.forwardHidden(ids, mask);
  } finally {
    session.dispose();
  }
}

/** The final states through the layer kit (the reference the runners are tested against, and the path where no runner runs the model). */
export async function layerKitFinalStates(model: GPTJModel, ids: number[][], mask: number[][]): Promise<Float32Array> {
  const caches = model.newCaches(ids.length, at(ids, 0).length);
  try {
    const h = await model.run(ids, mask, caches, 0); // [B, T, D] after ln_f
    const out = h.toFloat32Array();
    h.dispose();
    return out;
  } finally {
    for (const c of caches) c.dispose();
  }
}
