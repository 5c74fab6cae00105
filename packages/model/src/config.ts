import { describeJson } from './checkpoint/describe-json.js';
import { ConfigError } from './errors.js';

/** GPT-J hyper-parameters, named like the fields of Hugging Face's config.json (camelCase). */
export interface GPTJConfig {
  vocabSize: number; // vocab_size: logits width (50400 for GPT-J 6B)
  nPositions: number; // n_positions: context window
  nEmbd: number; // n_embd: model width D
  nLayer: number; // n_layer
  nHead: number; // n_head; head dim = nEmbd / nHead
  nInner: number; // n_inner; null in config.json means 4 * n_embd
  rotaryDim: number; // rotary_dim; null means the whole head
  layerNormEpsilon: number; // layer_norm_epsilon
  activationFunction: Activation;
  bosTokenId: number | null;
  eosTokenId: number | null;
  tieWordEmbeddings: boolean; // GPT-J: false (lm_head has its own weight and a bias)
}

/** Activations GPT-J checkpoints use: gelu_new (tanh approximation, the GPT-J default) or exact gelu. */
export type Activation = 'gelu_new' | 'gelu' | 'gelu_pytorch_tanh';
const ACTIVATIONS: readonly string[] = ['gelu_new', 'gelu', 'gelu_pytorch_tanh'];

// Defaults of transformers' GPTJConfig.__init__.
const DEFAULTS = {
  vocab_size: 50400,
  n_positions: 2048,
  n_embd: 4096,
  n_layer: 28,
  n_head: 16,
  rotary_dim: 64,
  n_inner: null,
  activation_function: 'gelu_new',
  layer_norm_epsilon: 1e-5,
  bos_token_id: 50256,
  eos_token_id: 50256,
  pad_token_id: null,
  tie_word_embeddings: false,
} as const;

/**
 * Sanity limits on the sizes a config.json may declare: far above any GPT-J (6B: 28 layers, 4096 wide, 16 heads,
 * 16384 inner, 50400 tokens, 2048 positions), low enough that everything sized from them (the expected tensor
 * names, parameter counts, caches) stays small and exact in a double. Weights are checked against the checkpoint
 * before anything is allocated (checkpoint/config-fit.ts).
 */
export const CONFIG_LIMITS = {
  n_layer: 1024,
  n_embd: 65536,
  n_head: 1024,
  n_inner: 262144,
  vocab_size: 1 << 22,
  n_positions: 1 << 20,
} as const;

/** Parses the text of a config.json; JSON errors are ConfigErrors too. */
export function parseGPTJConfigText(text: string): GPTJConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config.json is not valid JSON (${(e as Error).message})`);
  }
  return parseGPTJConfig(json);
}

/** Parses a Hugging Face GPT-J config.json (already JSON-parsed), applying transformers' defaults. */
export function parseGPTJConfig(json: unknown): GPTJConfig {
  const fail = (msg: string): never => {
    throw new ConfigError(`config.json ${msg}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('must hold a JSON object');
  const raw = json as Record<string, unknown>;
  if (raw.model_type !== undefined && raw.model_type !== 'gptj') {
    fail(`has model_type ${describeJson(raw.model_type)}; only "gptj" is supported`);
  }
  const get = (key: keyof typeof DEFAULTS): unknown => (raw[key] === undefined ? DEFAULTS[key] : raw[key]);
  const int = (key: keyof typeof DEFAULTS, max: number, why = ''): number => {
    const v = get(key);
    if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > max)
      fail(`field ${key} must be an integer from 1 to ${max}${why}, got ${describeJson(v)}`);
    return v as number;
  };

  const nEmbd = int('n_embd', CONFIG_LIMITS.n_embd);
  const nHead = int('n_head', CONFIG_LIMITS.n_head);
  if (nEmbd % nHead !== 0) fail(`field n_embd (${nEmbd}) must be divisible by n_head (${nHead})`);
  const headDim = nEmbd / nHead;
  const nInner = get('n_inner') === null ? 4 * nEmbd : int('n_inner', CONFIG_LIMITS.n_inner);
  const rotaryDim = get('rotary_dim') === null ? headDim : int('rotary_dim', headDim, ' (the head dim)');
  if (rotaryDim % 2 !== 0) fail(`field rotary_dim (${rotaryDim}) must be even`);
  const eps = get('layer_norm_epsilon');
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps))
    fail(`field layer_norm_epsilon must be a finite positive number, got ${describeJson(eps)}`);
  const act = get('activation_function');
  if (typeof act !== 'string' || !ACTIVATIONS.includes(act)) {
    fail(`field activation_function ${describeJson(act)} is not supported (one of ${ACTIVATIONS.join(', ')})`);
  }
  const tie = get('tie_word_embeddings');
  if (typeof tie !== 'boolean') fail(`field tie_word_embeddings must be a boolean, got ${describeJson(tie)}`);
  const vocabSize = int('vocab_size', CONFIG_LIMITS.vocab_size);
  // A token id names a row of the logits; generation configs may list several (the first is the one used).
  // transformers' default (50256) in a config of a smaller vocabulary names no token: no such id (null).
  const tokenId = (key: 'bos_token_id' | 'eos_token_id' | 'pad_token_id'): number | null => {
    const v = get(key);
    if (v === null || (raw[key] === undefined && (v as number) >= vocabSize)) return null;
    const ids = Array.isArray(v) ? v : [v];
    const bad = ids.length === 0 ? v : ids.find((id) => !Number.isInteger(id) || id < 0 || id >= vocabSize);
    if (bad !== undefined) fail(`field ${key} must be null or a token id from 0 to ${vocabSize - 1} (vocab_size - 1), got ${describeJson(bad)}`);
    return ids[0] as number;
  };
  tokenId('pad_token_id'); // validated only: batching pads with its own id

  return {
    vocabSize,
    nPositions: int('n_positions', CONFIG_LIMITS.n_positions),
    nEmbd,
    nLayer: int('n_layer', CONFIG_LIMITS.n_layer),
    nHead,
    nInner,
    rotaryDim,
    layerNormEpsilon: eps as number,
    activationFunction: act as Activation,
    bosTokenId: tokenId('bos_token_id'),
    eosTokenId: tokenId('eos_token_id'),
    tieWordEmbeddings: tie as boolean,
  };
}
