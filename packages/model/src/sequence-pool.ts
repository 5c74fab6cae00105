// GPTJModel.createSequencePool: continuous batching over @gptj/tensor's CPU sequence pool (CpuGPTJPool).
// Many independent sequences share every forward step (some prefilling, others decoding), each with its own
// positions from 0 and KV blocks from one shared pool; @gptj/sampling's Scheduler drives it through its
// structural SequencePool interface, which CpuGPTJPool implements. Every sequence's logits equal those of
// the same sequence run alone in a session (within 1e-5 relative with the f32 cache). A greedy row the Scheduler picks
// from the step's `best` scan alone is sent with `skipLogits` (CpuGPTJPool's PoolStepEntry): its logits are then not
// written into the step's `out` unless the scan cannot make the pick (NaN, +Infinity, nothing above -Infinity, winner
// banned).
import { type CpuGPTJPool, type CpuGPTJRunner, createCpuGPTJPool } from '@gptj/tensor/runner';

export interface SequencePoolOptions {
  /** sequences alive at once */
  maxSequences: number;
  /** KV capacity in tokens over all sequences (default maxSequences * the model's context), rounded up to whole blocks (the pool's blockSize) */
  maxTokens?: number;
  /** the KV cache's dtype: 'f32' (default, a session's logits) or 'f16' (half the memory) */
  kvDtype?: 'f32' | 'f16';
}

/** A pool over a CPU runner whose sequences may each hold up to `maxLength` positions (the model's context). */
export function createSequencePool(runner: CpuGPTJRunner, maxLength: number, options: SequencePoolOptions): CpuGPTJPool {
  const { maxSequences, maxTokens = maxSequences * maxLength, kvDtype } = options ?? ({} as SequencePoolOptions);
  return createCpuGPTJPool(runner, { maxSequences, maxTokens, kvDtype, maxLength });
}
