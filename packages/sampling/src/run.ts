import type { CausalLM, TextTokenizer } from './interfaces.js';
import type { ResolvedOptions } from './options.js';
import type { Pipeline } from './pipeline.js';
import type { DecodingStrategy } from './strategy.js';

/** Everything a decoding loop needs, validated and resolved before any work starts. */
export interface GenerationRun {
  model: CausalLM;
  tokenizer: TextTokenizer;
  /** Token ids of each prompt. */
  prompts: number[][];
  options: ResolvedOptions;
  strategy: DecodingStrategy;
  eosTokenIds: number[];
  pipeline: Pipeline;
  stops: string[];
  /** Id fed in padded / finished positions (masked out, so any valid id works). */
  padId: number;
}

export const now = (): number => performance.now();
