import { gptjWeightRole, gptjWeightSpecs } from '@gptj/tensor/runner';
import type { GPTJConfig } from '../config.js';
import type { TensorEntry } from './entries.js';
import { SCALE_SUFFIX } from './int8-layout.js';
import { q4StoredShapes } from './q4-layout.js';
import { CheckpointMismatchError } from '../errors.js';
import { checkConfigFits } from './config-fit.js';
import { at } from '../at.js';

// Buffers HF GPT-J checkpoints carry that are not weights (the causal mask and its fill value): skipped.
const KNOWN_BUFFERS = /^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/;
const WEIGHT_DTYPES = new Set(['F32', 'F16', 'BF16']);
/** Whether `name` is a linear layer's weight matrix (the ones int8 and q4 checkpoints store quantized + `<name>_scale`). */
export function isLinearWeight(name: string): boolean {
  return gptjWeightRole(name) === 'matrix';
}

/** Every weight a GPT-J with this config needs, by Hugging Face name, with its shape (@gptj/tensor's weight list). */
export function gptjTensorShapes(c: GPTJConfig): Map<string, readonly number[]> {
  return new Map(gptjWeightSpecs(c).map((s) => [s.name, s.shape]));
}

/**
 * Checks a checkpoint against the expected names and shapes; collects every problem (missing, unexpected,
 * misshaped, non-float) into one CheckpointMismatchError, after checkConfigFits (a config far too large for
 * the checkpoint is a ConfigError). With tied embeddings lm_head.weight may be absent.
 * A linear weight [out, in] may be stored as I8 when `<name>_scale` (F32/F16/BF16, [out, 1] or [out]) is
 * there too, or as q4: U8 codes [out, in / 2] with `<name>_scale` F16 [out, in / 32] (q4-layout.ts; in a multiple
 * of 32); a scale without its I8 or U8 weight is unexpected.
 */
export function checkTensors(c: GPTJConfig, tensors: ReadonlyMap<string, TensorEntry>): void {
  checkConfigFits(c, tensors);
  const expected = gptjTensorShapes(c);
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (!t) {
      if (!(c.tieWordEmbeddings && name === 'lm_head.weight')) problems.push(`missing ${name} [${shape}]`);
    } else if (t.dtype === 'U8' && isLinearWeight(name)) {
      problems.push(...q4Problems(name, shape, t, tensors.get(`${name}${SCALE_SUFFIX}`)));
    } else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      problems.push(`${name} has shape [${t.shape}], the config needs [${shape}]`);
    } else if (t.dtype === 'I8' && isLinearWeight(name)) {
      problems.push(...scaleProblems(name, at(shape, 0), tensors.get(`${name}${SCALE_SUFFIX}`))); // a linear weight's spec is [out, in]
    } else if (!WEIGHT_DTYPES.has(t.dtype)) {
      problems.push(`${name} is stored as ${t.dtype}; weights must be F32, F16 or BF16${isLinearWeight(name) ? ' (or I8 with scales)' : ''}`);
    }
  }
  for (const name of tensors.keys()) {
    if (expected.has(name) || KNOWN_BUFFERS.test(name)) continue;
    const weight = name.endsWith(SCALE_SUFFIX) ? tensors.get(name.slice(0, -SCALE_SUFFIX.length)) : undefined;
    if (!((weight?.dtype === 'I8' || weight?.dtype === 'U8') && expected.has(weight.name) && isLinearWeight(weight.name)))
      problems.push(`unexpected tensor ${name}`);
  }
  if (problems.length) throw new CheckpointMismatchError(problems);
}

function scaleProblems(weight: string, rows: number, scale: TensorEntry | undefined): string[] {
  const name = `${weight}${SCALE_SUFFIX}`;
  if (!scale) return [`missing ${name} [${rows}, 1]: the I8 ${weight} needs its per-row scales`];
  const okShape = (scale.shape.length === 1 || (scale.shape.length === 2 && scale.shape[1] === 1)) && scale.shape[0] === rows;
  if (!okShape) return [`${name} has shape [${scale.shape}], the I8 ${weight} needs [${rows}, 1] or [${rows}]`];
  if (!WEIGHT_DTYPES.has(scale.dtype)) return [`${name} is stored as ${scale.dtype}; scales must be F32, F16 or BF16`];
  return [];
}

function q4Problems(weight: string, shape: readonly number[], codes: TensorEntry, scale: TensorEntry | undefined): string[] {
  const [rows, cols] = [at(shape, 0), at(shape, 1)]; // a linear weight's spec is [out, in]
  if (cols % 32 !== 0) return [`${weight} is stored as U8 (q4 codes), but its ${cols} columns are not a multiple of q4's 32-weight groups`];
  const want = q4StoredShapes(rows, cols);
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  const name = `${weight}${SCALE_SUFFIX}`;
  if (!same(codes.shape, want.codes)) return [`${weight} has shape [${codes.shape}], its q4 codes (U8) need [${want.codes}]`];
  if (!scale) return [`missing ${name} [${want.scales}]: the q4 ${weight} needs its group scales`];
  if (!same(scale.shape, want.scales)) return [`${name} has shape [${scale.shape}], the q4 ${weight} needs [${want.scales}]`];
  if (scale.dtype !== 'F16') return [`${name} is stored as ${scale.dtype}; q4 scales must be F16`];
  return [];
}
