import { gpt2ByteOrder } from './byte-unicode.js';
import { GPT2_EXTRA_TOKEN_COUNT, GPT2_MERGES_BASE64, GPT2_MERGE_COUNT } from './gpt2-data.js';
import { MergeTable } from './merge-table.js';
import { Vocabulary, type SpecialToken } from './vocabulary.js';

export const ENDOFTEXT = '<|endoftext|>';

let cached: Vocabulary | undefined;

/**
 * The bundled GPT-2/GPT-J vocabulary (50,400 ids: 50,257 GPT-2 tokens and 143 <|extratoken_k|>), decoded
 * from gpt2-data.ts on first use (about 20 ms) and shared afterwards.
 */
export function gpt2Vocabulary(): Vocabulary {
  if (cached) return cached;
  const raw = atob(GPT2_MERGES_BASE64);
  const pairs = new Uint16Array(raw.length / 2);
  for (let i = 0; i < pairs.length; i++) pairs[i] = raw.charCodeAt(2 * i) | (raw.charCodeAt(2 * i + 1) << 8);

  const specials: SpecialToken[] = [{ content: ENDOFTEXT, id: 256 + GPT2_MERGE_COUNT }];
  for (let k = 1; k <= GPT2_EXTRA_TOKEN_COUNT; k++) {
    specials.push({ content: `<|extratoken_${k}|>`, id: 256 + GPT2_MERGE_COUNT + k });
  }
  const size = 256 + GPT2_MERGE_COUNT + specials.length;

  // Token lengths first (a merge's length is the sum of its parts'), then the bytes of each merge copied
  // from its two parts, which come earlier in the same flat array.
  const tokenStart = new Uint32Array(size + 1);
  const length = (id: number) => tokenStart[id + 1]! - tokenStart[id]!;
  for (let id = 0; id < 256; id++) tokenStart[id + 1] = id + 1;
  for (let i = 0; i < GPT2_MERGE_COUNT; i++) {
    tokenStart[257 + i] = tokenStart[256 + i]! + length(pairs[2 * i]!) + length(pairs[2 * i + 1]!);
  }
  for (const s of specials) tokenStart[s.id + 1] = tokenStart[s.id]! + s.content.length; // ASCII contents
  const tokenBytes = new Uint8Array(tokenStart[size]!);
  const byteTokens = new Int32Array(256);
  gpt2ByteOrder.forEach((byte, id) => {
    tokenBytes[id] = byte;
    byteTokens[byte] = id;
  });
  const merges = new MergeTable(GPT2_MERGE_COUNT);
  for (let i = 0; i < GPT2_MERGE_COUNT; i++) {
    const left = pairs[2 * i]!;
    const right = pairs[2 * i + 1]!;
    let at = tokenStart[256 + i]!;
    for (let b = tokenStart[left]!, e = tokenStart[left + 1]!; b < e; b++) tokenBytes[at++] = tokenBytes[b]!;
    for (let b = tokenStart[right]!, e = tokenStart[right + 1]!; b < e; b++) tokenBytes[at++] = tokenBytes[b]!;
    merges.add(left, right, i, 256 + i);
  }
  for (const s of specials) for (let k = 0; k < s.content.length; k++) tokenBytes[tokenStart[s.id]! + k] = s.content.charCodeAt(k);
  const known = new Uint8Array(size).fill(1);
  cached = new Vocabulary({ tokenBytes, tokenStart, known, byteTokens, merges, specials, eosToken: ENDOFTEXT });
  return cached;
}
