// Custom decoding: `generate` with a logits processor and a stopping rule written by the user, streamed to stdout.
//  - forbidStrings(tokenizer, strings): a processor that removes every token that would complete a forbidden
//    string in the generated text, however the model spells it (one token or several); here no docstrings and
//    no comments, so the demo model, which loves docstrings, has to write code,
//  - stopAtBlankLine(tokenizer): a stopping rule that ends the row at its first blank line (the end of a
//    function body, in the Python the model was trained on).
//
// Run: node apps/examples/dist/custom-decoding.js ["def fibonacci(n):\n"]
import { fileURLToPath } from 'node:url';
import { miniCodeDir } from '@gptj/mini-code';
import { loadModel } from '@gptj/model';
import { type ProcessorContext, type StoppingCriterion, generate } from '@gptj/sampling';
import { Tokenizer } from '@gptj/tokenizer';

export const FORBIDDEN = ['"""', "'''", '#'];

/** The generated part of a row's history, as text. */
const generatedText = (tok: Tokenizer, ids: readonly number[], promptLength: number) => tok.decode(ids.slice(promptLength));

/** A function processor (what `logitsProcessors` takes): rewrites one row's scores in place, -Infinity removes. */
export type RowProcessor = (ids: readonly number[], scores: Float32Array, ctx: ProcessorContext) => void;

export function forbidStrings(tok: Tokenizer, strings: readonly string[]): RowProcessor {
  if (strings.length === 0 || strings.some((w) => w === '')) throw new RangeError('forbidStrings: give at least one string, none empty');
  const keep = Math.max(...strings.map((w) => w.length)) - 1;
  const pieces = Array.from({ length: tok.vocabSize }, (_, id) => tok.decode([id])); // each token's text, once
  return (ids, scores, { promptLength }) => {
    // Only the last (longest - 1) characters can combine with the next token into a forbidden string.
    const tail = keep > 0 ? generatedText(tok, ids, promptLength).slice(-keep) : '';
    for (let id = 0; id < scores.length; id++) {
      if (scores[id] === -Infinity) continue;
      const text = tail + pieces[id];
      if (strings.some((w) => text.includes(w))) scores[id] = -Infinity;
    }
  };
}

export function stopAtBlankLine(tok: Tokenizer): StoppingCriterion {
  return (ids, { promptLength }) => /\n[ \t]*\n/.test(generatedText(tok, ids, promptLength));
}

async function main(prompt: string): Promise<void> {
  const model = await loadModel(miniCodeDir);
  const tok = Tokenizer.gptj();
  process.stdout.write(prompt);
  const events = generate(model, tok, prompt, {
    maxNewTokens: 64,
    temperature: 0.7,
    seed: 7,
    logitsProcessors: [forbidStrings(tok, FORBIDDEN)],
    stoppingCriteria: [stopAtBlankLine(tok)],
  });
  let text = prompt;
  for await (const e of events) {
    process.stdout.write(e.text);
    text += e.text;
    if (e.type === 'done') console.log(`${text.endsWith('\n') ? '' : '\n'}[finish: ${e.finishReason}]`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv[2] ?? 'def fibonacci(n):\n');
