// GPT-J's weight list, written once: every weight's Hugging Face name, its key in the runners' weight object
// (the names native/cpu/gptj_runner.cpp and native/cuda/gptj_runner.cpp read), its shape as a function of the
// config and its role, which decides the dtypes it may have. @gptj/model checks checkpoints, loads and holds
// its weights from this table; the runners check theirs against it. It lives here, below the model, because
// the runners need it and @gptj/tensor must not import @gptj/model (candle's VarBuilder paths are the model).
import { ShapeError } from './errors.js';

/** What a weight is, which decides its dtypes: matrices ([out, in], nn.Linear layout) may be quantized. */
export type GPTJWeightRole = 'embedding' | 'norm' | 'matrix' | 'bias';

/** One block's weights, keyed as the runners name them. */
export interface RunnerLayerWeights<W> {
  lnGamma: W;
  lnBeta: W;
  q: W;
  k: W;
  v: W;
  out: W;
  fcIn: W;
  fcInBias: W;
  fcOut: W;
  fcOutBias: W;
}

/** Every weight of a GPT-J, keyed as the runners name them. */
export interface RunnerWeights<W> {
  wte: W;
  lnfGamma: W;
  lnfBeta: W;
  lmHead: W;
  lmHeadBias: W;
  layers: RunnerLayerWeights<W>[];
}

/** The config fields weight shapes depend on. */
export interface GPTJWeightDims {
  vocabSize: number;
  nEmbd: number;
  nInner: number;
  nLayer: number;
}

type TopKey = Exclude<keyof RunnerWeights<unknown>, 'layers'>;
type LayerKey = keyof RunnerLayerWeights<unknown>;
type Shape = (c: GPTJWeightDims) => number[];
interface Row<K> {
  key: K;
  hf: string;
  role: GPTJWeightRole;
  shape: Shape;
}

const V_D: Shape = (c) => [c.vocabSize, c.nEmbd];
const D: Shape = (c) => [c.nEmbd];
const D_D: Shape = (c) => [c.nEmbd, c.nEmbd];

// Hugging Face's order (transformer.wte, transformer.h.*, transformer.ln_f, lm_head): checkpoints are written
// and random models generated in it.
const EMBEDDING: readonly Row<TopKey>[] = [{ key: 'wte', hf: 'transformer.wte.weight', role: 'embedding', shape: V_D }];
// Per block, after the prefix `transformer.h.<i>.`.
const LAYER: readonly Row<LayerKey>[] = [
  { key: 'lnGamma', hf: 'ln_1.weight', role: 'norm', shape: D },
  { key: 'lnBeta', hf: 'ln_1.bias', role: 'norm', shape: D },
  { key: 'q', hf: 'attn.q_proj.weight', role: 'matrix', shape: D_D }, // no attention biases in GPT-J
  { key: 'k', hf: 'attn.k_proj.weight', role: 'matrix', shape: D_D },
  { key: 'v', hf: 'attn.v_proj.weight', role: 'matrix', shape: D_D },
  { key: 'out', hf: 'attn.out_proj.weight', role: 'matrix', shape: D_D },
  { key: 'fcIn', hf: 'mlp.fc_in.weight', role: 'matrix', shape: (c) => [c.nInner, c.nEmbd] },
  { key: 'fcInBias', hf: 'mlp.fc_in.bias', role: 'bias', shape: (c) => [c.nInner] },
  { key: 'fcOut', hf: 'mlp.fc_out.weight', role: 'matrix', shape: (c) => [c.nEmbd, c.nInner] },
  { key: 'fcOutBias', hf: 'mlp.fc_out.bias', role: 'bias', shape: D },
];
const HEAD: readonly Row<TopKey>[] = [
  { key: 'lnfGamma', hf: 'transformer.ln_f.weight', role: 'norm', shape: D },
  { key: 'lnfBeta', hf: 'transformer.ln_f.bias', role: 'norm', shape: D },
  { key: 'lmHead', hf: 'lm_head.weight', role: 'matrix', shape: V_D }, // not tied to wte
  { key: 'lmHeadBias', hf: 'lm_head.bias', role: 'bias', shape: (c) => [c.vocabSize] },
];
const LAYER_PREFIX = /^transformer\.h\.(\d+)\.(.+)$/;

/** One weight of a GPT-J with a given config: `layer` is null for the weights outside the blocks. */
export type GPTJWeightSpec = {
  /** Hugging Face name, e.g. transformer.h.0.attn.q_proj.weight */
  name: string;
  /** the runners' name, e.g. layers[0].q */
  path: string;
  shape: number[];
  role: GPTJWeightRole;
} & ({ layer: null; key: TopKey } | { layer: number; key: LayerKey });

/** Every weight a GPT-J with this config has, in Hugging Face's order. */
export function gptjWeightSpecs(c: GPTJWeightDims): GPTJWeightSpec[] {
  const top = (r: Row<TopKey>): GPTJWeightSpec => ({ name: r.hf, path: r.key, shape: r.shape(c), role: r.role, layer: null, key: r.key });
  const layers = Array.from({ length: c.nLayer }, (_, i) =>
    LAYER.map(
      (r): GPTJWeightSpec => ({
        name: `transformer.h.${i}.${r.hf}`,
        path: `layers[${i}].${r.key}`,
        shape: r.shape(c),
        role: r.role,
        layer: i,
        key: r.key,
      }),
    ),
  );
  return [...EMBEDDING.map(top), ...layers.flat(), ...HEAD.map(top)];
}

/** The role of the weight named `name` (a Hugging Face name), or undefined when GPT-J has no such weight. */
export function gptjWeightRole(name: string): GPTJWeightRole | undefined {
  const m = LAYER_PREFIX.exec(name);
  const rows: readonly Row<string>[] = m ? LAYER : [...EMBEDDING, ...HEAD];
  return rows.find((r) => r.hf === (m ? m[2] : name))?.role;
}

/** The weight of `spec` in `weights` (undefined when absent). */
export function weightAt<W>(weights: RunnerWeights<W>, spec: GPTJWeightSpec): W | undefined {
  return spec.layer === null ? weights[spec.key] : weights.layers[spec.layer]?.[spec.key];
}

/**
 * Builds a weights object with `f` applied to every spec, in Hugging Face's order. `f` sees the spec only; for
 * mapping an existing weights object, see mapRunnerWeights.
 */
export function buildRunnerWeights<T>(c: GPTJWeightDims, f: (spec: GPTJWeightSpec) => T): RunnerWeights<T> {
  const top: Partial<Record<TopKey, T>> = {};
  const layers: Partial<Record<LayerKey, T>>[] = Array.from({ length: c.nLayer }, () => ({}));
  for (const spec of gptjWeightSpecs(c)) {
    if (spec.layer === null) top[spec.key] = f(spec);
    else layers[spec.layer][spec.key] = f(spec);
  }
  return { ...top, layers } as RunnerWeights<T>;
}

/**
 * Every weight of `weights` mapped by `f` with its spec, after checking that there are config.nLayer layers
 * (a ShapeError naming `op` otherwise).
 */
export function mapRunnerWeights<T>(
  op: string,
  config: GPTJWeightDims,
  weights: RunnerWeights<unknown>,
  f: (t: unknown, spec: GPTJWeightSpec) => T,
): RunnerWeights<T> {
  if (!Array.isArray(weights?.layers) || weights.layers.length !== config.nLayer)
    throw new ShapeError(`${op}: weights.layers has ${weights?.layers?.length} entries, config.nLayer is ${config.nLayer}`);
  return buildRunnerWeights(config, (spec) => f(weightAt(weights, spec), spec));
}
