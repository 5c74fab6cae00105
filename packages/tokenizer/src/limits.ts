/**
 * Bounds on what a tokenizer directory may hold, so that a hostile or broken file costs bounded time and
 * memory and fails with a TokenizerLoadError instead of exhausting the process. Each is far above what real
 * tokenizers use (GPT-2: 0.8 MB vocab.json, 50,257 tokens of at most 128 characters, nesting depth 5 in
 * tokenizer.json; the largest public BPE vocabularies have about 260,000 tokens).
 */
export const LIMITS = {
  /** Bytes in any one file (tokenizer.json of a 260 K vocabulary is about 35 MB). */
  fileBytes: 64 * 1024 * 1024,
  /** Nesting depth of arrays and objects in a JSON file. */
  jsonDepth: 64,
  /** Token ids are integers 0 .. ids - 1; this also bounds the number of tokens and merges. */
  ids: 1 << 21,
  /** Characters in one token (byte-level spelled) or one special token's content. */
  tokenChars: 1024,
  /** Number of special (added) tokens: they are matched in text through one regular expression. */
  specialTokens: 16384,
  /**
   * Characters of all special tokens together: the regular expression that matches them grows with them
   * (16,000 tokens of 1,000 characters made V8 run out of memory compiling it).
   */
  specialTokenChars: 1 << 18,
} as const;
