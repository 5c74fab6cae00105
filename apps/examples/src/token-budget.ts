// Token budget: the tokenizer alone (pure TypeScript, no model, no native code).
//  - count the tokens of a document and ask whether it fits GPT-J's 2048-token context,
//  - truncate it to the context minus room for a reply, on a token boundary (never mid-character),
//  - decode ids arriving one at a time, as a generation loop streams them, without broken characters.
//
// Run: node apps/examples/dist/token-budget.js
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@gptj/tokenizer';

export const CONTEXT = 2048; // GPT-J's n_positions
export const REPLY_TOKENS = 48; // kept free for the model's answer

/** A long Python file with non-ASCII docstrings (accents, symbols, emoji: several tokens per character). */
export function longDocument(functions = 400): string {
  let src = '# -*- coding: utf-8 -*-\n';
  for (let i = 0; i < functions; i++) src += `def area_${i}(r):\n    """Aire du disque nº ${i} — π r² 📐"""\n    return 3.14159 * r * r\n\n`;
  return src;
}

/**
 * At most `maxTokens` leading tokens of `text`: their ids, and the text they cover. A character split across
 * tokens (π is 2 tokens, 📐 3) and cut by the limit is dropped whole, so the ids decode to exactly the returned text.
 */
export function truncateToTokens(tok: Tokenizer, text: string, maxTokens: number): { ids: number[]; text: string } {
  if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new RangeError(`truncateToTokens: maxTokens must be an integer >= 0, got ${maxTokens}`);
  const { ids, offsets } = tok.encodeWithOffsets(text);
  if (ids.length <= maxTokens) return { ids, text };
  let kept = maxTokens;
  // offsets[k] = [start, end) in the text; a token that ends past the next one's start shares a character with it.
  // one offset per id, and kept <= maxTokens < ids.length
  while (kept > 0 && offsets[kept - 1]![1] > offsets[kept]![0]) kept--;
  return { ids: ids.slice(0, kept), text: text.slice(0, offsets[kept]![0]) };
}

/** Feeds ids one at a time to a stream decoder: what each write() releases, then what end() flushes. */
export function streamDecode(tok: Tokenizer, ids: readonly number[]): string[] {
  const decoder = tok.createStreamDecoder();
  return [...ids.map((id) => decoder.write(id)), decoder.end()];
}

function main(): void {
  const tok = Tokenizer.gptj();
  const doc = longDocument();
  const budget = CONTEXT - REPLY_TOKENS;
  console.log(`document: ${doc.length} characters, ${tok.countTokens(doc)} tokens`);
  // isWithinTokenLimit stops encoding as soon as the count passes the limit: cheap on a huge input.
  console.log(`fits in ${CONTEXT} tokens: ${tok.isWithinTokenLimit(doc, CONTEXT) !== false}`);
  const head = truncateToTokens(tok, doc, budget);
  console.log(`truncated to ${head.ids.length} tokens (budget ${budget}): ${head.text.length} characters, ends with ${JSON.stringify(head.text.slice(-40))}`);
  const line = 'print("héllo 👋 世界")';
  const pieces = streamDecode(tok, tok.encode(line));
  console.log(`streamed ${pieces.length - 1} ids: ${pieces.map((p) => JSON.stringify(p)).join(' ')}`);
  console.log(`streamed text: ${pieces.join('')}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
