// Whole-model GPT-J forward on the GPU in one native call per step (the per-token fast path).
//
//   const runner = new GPTJRunner(config, weights)   // device weights, see gptj_runner.cpp for fields
//   const session = new GPTJSession(runner, batchSize, maxLength)   // KV cache + activations
//   session.forward(ids: Int32Array [B*T], T, mask: Int32Array [B*T] | null, out: Float32Array [B*V] | Int32Array [B])
//     -> Promise<void>: appends T tokens per row and enqueues the step; the promise settles once
//     `out` holds the last position's logits (Float32Array) or their argmax (Int32Array, 4 bytes per
//     row copied back). One step at a time: forward/reorder during a step throw. A T == 1 step
//     replays a captured CUDA graph.
//   session.forwardHidden(ids, T, mask, out: Float32Array [B*T*D]) -> Promise<void>: the same step,
//     but `out` gets the final states (after ln_f, transformers' last_hidden_state) of every appended
//     position in f32, and lm_head is skipped (features). Never replayed from the decode graph.
//   session.reorder(rows: Int32Array), session.length, session.dispose()
//
// Numerics: residual stream f32; matmul inputs (layer-norm output, attention output, gelu output)
// and the KV cache in "act" = f16 (bf16 when the weights are bf16); every dot product accumulates
// in f32; softmax and layer norm in f32.
#pragma once
#include <napi.h>

namespace gptj_cuda {
void register_runner(Napi::Env env, Napi::Object exports);
}
