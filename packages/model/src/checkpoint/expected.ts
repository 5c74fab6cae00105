import type { GPTJConfig } from '../config.js';
import type { TensorEntry } from './entries.js';
import { CheckpointMismatchError } from '../errors.js';

// Buffers HF GPT-J checkpoints carry that are not weights (the causal mask and its fill value): skipped.
const KNOWN_BUFFERS = /^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/;
const WEIGHT_DTYPES = new Set(['F32', 'F16', 'BF16']);

/** Every weight a GPT-J with this config needs, by Hugging Face name, with its shape. */
export function gptjTensorShapes(c: GPTJConfig): Map<string, readonly number[]> {
  const { vocabSize: V, nEmbd: D, nInner: I } = c;
  const shapes = new Map<string, readonly number[]>([['transformer.wte.weight', [V, D]]]);
  for (let i = 0; i < c.nLayer; i++) {
    const p = `transformer.h.${i}.`;
    shapes.set(`${p}ln_1.weight`, [D]).set(`${p}ln_1.bias`, [D]);
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) shapes.set(`${p}attn.${proj}.weight`, [D, D]);
    shapes.set(`${p}mlp.fc_in.weight`, [I, D]).set(`${p}mlp.fc_in.bias`, [I]);
    shapes.set(`${p}mlp.fc_out.weight`, [D, I]).set(`${p}mlp.fc_out.bias`, [D]);
  }
  shapes.set('transformer.ln_f.weight', [D]).set('transformer.ln_f.bias', [D]);
  shapes.set('lm_head.weight', [V, D]).set('lm_head.bias', [V]);
  return shapes;
}

/**
 * Checks a checkpoint against the expected names and shapes; collects every problem (missing, unexpected,
 * misshaped, non-float) into one CheckpointMismatchError. With tied embeddings lm_head.weight may be absent.
 */
export function checkTensors(c: GPTJConfig, tensors: ReadonlyMap<string, TensorEntry>): void {
  const expected = gptjTensorShapes(c);
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (!t) {
      if (!(c.tieWordEmbeddings && name === 'lm_head.weight')) problems.push(`missing ${name} [${shape}]`);
    } else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      problems.push(`${name} has shape [${t.shape}], the config needs [${shape}]`);
    } else if (!WEIGHT_DTYPES.has(t.dtype)) {
      problems.push(`${name} is stored as ${t.dtype}; weights must be F32, F16 or BF16`);
    }
  }
  for (const name of tensors.keys()) {
    if (!expected.has(name) && !KNOWN_BUFFERS.test(name)) problems.push(`unexpected tensor ${name}`);
  }
  if (problems.length) throw new CheckpointMismatchError(problems);
}
