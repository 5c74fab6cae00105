// The files of a Hugging Face model directory besides config.json, by name: what loading looks for,
// what download fetches and what `gptj convert` carries over.

/** The weight files, in the order transformers prefers them. */
export const WEIGHT_FILES = ['model.safetensors.index.json', 'model.safetensors', 'pytorch_model.bin.index.json', 'pytorch_model.bin'] as const;

/** The generation and tokenizer files, each optional. */
export const SIDE_FILES = [
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.json',
  'merges.txt',
  'added_tokens.json',
  'special_tokens_map.json',
] as const;
