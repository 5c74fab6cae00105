import { ConfigError } from './errors.js';

/** GPT-J hyper-parameters, named like the fields of Hugging Face's config.json (camelCase). */
export interface GPTJConfig {
  vocabSize: number;          // vocab_size: logits width (50400 for GPT-J 6B)
  nPositions: number;         // n_positions: context window
  nEmbd: number;              // n_embd: model width D
  nLayer: number;             // n_layer
  nHead: number;              // n_head; head dim = nEmbd / nHead
  nInner: number;             // n_inner; null in config.json means 4 * n_embd
  rotaryDim: number;          // rotary_dim; null means the whole head
  layerNormEpsilon: number;   // layer_norm_epsilon
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
  vocab_size: 50400, n_positions: 2048, n_embd: 4096, n_layer: 28, n_head: 16, rotary_dim: 64, n_inner: null,
  activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, bos_token_id: 50256, eos_token_id: 50256,
  tie_word_embeddings: false,
} as const;

/** Parses a Hugging Face GPT-J config.json (already JSON-parsed), applying transformers' defaults. */
export function parseGPTJConfig(json: unknown): GPTJConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError('config.json must hold a JSON object');
  }
  const raw = json as Record<string, unknown>;
  if (raw.model_type !== undefined && raw.model_type !== 'gptj') {
    throw new ConfigError(`config.json has model_type "${String(raw.model_type)}"; only "gptj" is supported`);
  }
  const get = (key: keyof typeof DEFAULTS): unknown => (raw[key] === undefined ? DEFAULTS[key] : raw[key]);
  const int = (key: keyof typeof DEFAULTS, min = 1): number => {
    const v = get(key);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new ConfigError(`config.json field ${key} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const tokenId = (key: 'bos_token_id' | 'eos_token_id'): number | null => {
    const v = get(key);
    if (v === null) return null;
    if (Array.isArray(v) && v.length > 0) return tokenIdValue(key, v[0]); // generation configs may list several
    return tokenIdValue(key, v);
  };

  const nEmbd = int('n_embd');
  const nHead = int('n_head');
  if (nEmbd % nHead !== 0) throw new ConfigError(`n_embd (${nEmbd}) must be divisible by n_head (${nHead})`);
  const headDim = nEmbd / nHead;
  const nInner = get('n_inner') === null ? 4 * nEmbd : int('n_inner');
  const rotaryDim = get('rotary_dim') === null ? headDim : int('rotary_dim');
  if (rotaryDim > headDim || rotaryDim % 2 !== 0) {
    throw new ConfigError(`rotary_dim (${rotaryDim}) must be even and at most the head dim (${headDim})`);
  }
  const eps = get('layer_norm_epsilon');
  if (typeof eps !== 'number' || !(eps > 0)) throw new ConfigError(`layer_norm_epsilon must be a positive number, got ${JSON.stringify(eps)}`);
  const act = get('activation_function');
  if (typeof act !== 'string' || !ACTIVATIONS.includes(act)) {
    throw new ConfigError(`activation_function ${JSON.stringify(act)} is not supported (one of ${ACTIVATIONS.join(', ')})`);
  }
  const tie = get('tie_word_embeddings');
  if (typeof tie !== 'boolean') throw new ConfigError(`tie_word_embeddings must be a boolean, got ${JSON.stringify(tie)}`);

  return {
    vocabSize: int('vocab_size'), nPositions: int('n_positions'), nEmbd, nLayer: int('n_layer'), nHead, nInner, rotaryDim,
    layerNormEpsilon: eps, activationFunction: act as Activation,
    bosTokenId: tokenId('bos_token_id'), eosTokenId: tokenId('eos_token_id'), tieWordEmbeddings: tie,
  };
}

function tokenIdValue(key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new ConfigError(`config.json field ${key} must be a non-negative integer or null, got ${JSON.stringify(v)}`);
  }
  return v;
}
