import type { GPTJConfig } from '../config.js';
import type { TensorEntry } from './entries.js';
import { ConfigError } from '../errors.js';

/**
 * Refuses a config.json whose sizes the checkpoint cannot hold, before the expected-name map is built or any
 * weight allocated: a GPT-J needs 10 tensors per layer plus 4 or 5, and every parameter takes at least half a
 * stored byte (q4's 4-bit codes being the smallest weight dtype). Finer mismatches are checkTensors' job.
 */
export function checkConfigFits(c: GPTJConfig, tensors: ReadonlyMap<string, TensorEntry>): void {
  const neededTensors = 10 * c.nLayer + (c.tieWordEmbeddings ? 4 : 5);
  if (tensors.size < neededTensors) {
    throw new ConfigError(`config.json field n_layer (${c.nLayer}) needs at least ${neededTensors} tensors; the checkpoint holds ${tensors.size}`);
  }
  let stored = 0;
  for (const e of tensors.values()) stored += e.byteLength;
  const params = parameterCount(c);
  if (params / 2 > stored) {
    throw new ConfigError(
      `config.json sizes (n_layer ${c.nLayer}, n_embd ${c.nEmbd}, n_inner ${c.nInner}, vocab_size ${c.vocabSize}) ` +
        `need ${params} parameters, more than the ${stored} bytes the checkpoint's tensors hold`,
    );
  }
}

/** Weights of a GPT-J with this config (exact: CONFIG_LIMITS keep it far below 2^53). */
function parameterCount(c: GPTJConfig): number {
  const { vocabSize: V, nEmbd: D, nInner: I, nLayer: L } = c;
  const perLayer = 2 * D + 4 * D * D + 2 * I * D + I + D; // ln_1, q/k/v/out, fc_in (+bias), fc_out (+bias)
  return V * D + L * perLayer + 2 * D + (c.tieWordEmbeddings ? 0 : V * D) + V; // wte, blocks, ln_f, lm_head (+bias)
}
