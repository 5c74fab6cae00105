export { Tokenizer, type EncodingWithOffsets } from './tokenizer.js';
export type { EncodeOptions } from './special-tokens.js';
export type { StreamDecoder } from './stream-decoder.js';
export type { TokenizerFiles } from './tokenizer-files.js';
export { TokenizerError, SpecialTokenError, UnknownTokenIdError, TokenizerLoadError } from './errors.js';
export { GPT2_SPLIT_PATTERN, pretokenize } from './pretokenize.js';
