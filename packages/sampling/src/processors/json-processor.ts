import { SamplingError } from '../errors.js';
import { JSON_MAX_DEPTH, JsonCursor, type JsonGrammarOptions } from './json-grammar.js';
import { JsonTokenTable, type JsonTokenSource } from './json-token-table.js';
import type { LogitsProcessor, ProcessorContext } from './types.js';

export interface JsonProcessorOptions extends Partial<JsonGrammarOptions> {
  /** The tokenizer (`Tokenizer` from @gptj/tokenizer, or anything with `decode` and `specialTokens`). */
  tokenizer: JsonTokenSource;
  /** The logits width (`model.vocabSize`). */
  vocabSize: number;
  /** The end-of-text ids: allowed exactly when the value is complete, and then the only ones allowed. */
  eosTokenIds: readonly number[];
}

// One table per tokenizer and width: building one decodes and sorts every token (0.3 s for GPT-J's 50400 on the
// 2-core development machine), once per process.
const tables = new WeakMap<JsonTokenSource, Map<number, JsonTokenTable>>();

function tableFor(tokenizer: JsonTokenSource, vocabSize: number): JsonTokenTable {
  let byWidth = tables.get(tokenizer);
  if (!byWidth) tables.set(tokenizer, (byWidth = new Map()));
  let table = byWidth.get(vocabSize);
  if (!table) byWidth.set(vocabSize, (table = new JsonTokenTable(tokenizer, vocabSize)));
  return table;
}

/**
 * Constrains generation to one valid JSON text (llama.cpp's and vLLM's JSON mode): at each step every token
 * whose bytes cannot extend the row's generated text to a valid JSON prefix gets -Infinity; once the value is
 * complete only the EOS ids remain, and EOS is refused before. The row's generated tokens (after the prompt)
 * are the JSON text, with no whitespace before or after the value. Masks are cached per automaton state and shared
 * by every processor over the same tokenizer, so a step inside a string or after a structure seen before costs one
 * pass over the row. A row cut off by `maxNewTokens` (finish reason 'length') or by a stop string holds an
 * incomplete value.
 */
export class JsonLogitsProcessor implements LogitsProcessor {
  private readonly table: JsonTokenTable;
  private readonly grammar: JsonGrammarOptions;
  private readonly eos: readonly number[];
  // The state reached by each row's history array (the decode loop appends to one array per row).
  private readonly rows = new WeakMap<readonly number[], { consumed: number; cursor: JsonCursor }>();

  constructor(options: JsonProcessorOptions) {
    const { tokenizer, vocabSize, eosTokenIds, root = 'object', maxDepth = 16, maxWhitespace = 32 } = options;
    if (!(Number.isInteger(vocabSize) && vocabSize > 0))
      throw new RangeError(`JsonLogitsProcessor: vocabSize must be a positive integer, got ${String(vocabSize)}`);
    if (!(Number.isInteger(maxDepth) && maxDepth >= 1 && maxDepth <= JSON_MAX_DEPTH)) {
      throw new RangeError(`JsonLogitsProcessor: maxDepth must be an integer in [1, ${JSON_MAX_DEPTH}], got ${String(maxDepth)}`);
    }
    if (!(Number.isInteger(maxWhitespace) && maxWhitespace >= 0))
      throw new RangeError(`JsonLogitsProcessor: maxWhitespace must be an integer >= 0, got ${String(maxWhitespace)}`);
    if (root !== 'object' && root !== 'value') throw new RangeError(`JsonLogitsProcessor: root must be 'object' or 'value', got ${String(root)}`);
    if (eosTokenIds.length === 0) throw new RangeError('JsonLogitsProcessor: needs at least one EOS id, to end the generation when the value is complete');
    for (const id of eosTokenIds) {
      if (!(Number.isInteger(id) && id >= 0 && id < vocabSize))
        throw new RangeError(`JsonLogitsProcessor: EOS id ${id} is outside the vocabulary [0, ${vocabSize})`);
    }
    this.table = tableFor(tokenizer, vocabSize);
    this.grammar = { root, maxDepth, maxWhitespace };
    this.eos = eosTokenIds;
  }

  process(scores: Float32Array, ctx: ProcessorContext): void {
    const cursor = this.cursorFor(ctx);
    const allowed = this.table.maskFor(cursor);
    // EOS exactly when the value is complete (then the mask allows nothing else): its score is kept or removed
    // here, whatever the mask says of its text
    const eosScores = this.eos.map((id) => (cursor.complete ? scores[id]! : -Infinity));
    const V = Math.min(scores.length, this.table.vocabSize);
    for (let w = 0; w < V; w += 32) {
      const bits = allowed[w >>> 5]!;
      if (bits === 0xffffffff) continue;
      for (let t = w, end = Math.min(w + 32, V); t < end; t++) if (((bits >>> (t & 31)) & 1) === 0) scores[t] = -Infinity;
    }
    scores.fill(-Infinity, V);
    this.eos.forEach((id, k) => (scores[id] = eosScores[k]!));
  }

  /** The automaton after the row's generated tokens, carried over from the previous step when possible. */
  private cursorFor(ctx: ProcessorContext): JsonCursor {
    const { ids, promptLength } = ctx;
    let row = this.rows.get(ids);
    if (!row || row.consumed > ids.length || row.consumed < promptLength) {
      row = { consumed: promptLength, cursor: new JsonCursor(this.grammar) };
      this.rows.set(ids, row);
    }
    for (; row.consumed < ids.length; row.consumed++) {
      const id = ids[row.consumed]!;
      if (!this.table.advance(row.cursor, id)) {
        this.rows.delete(ids);
        throw new SamplingError(
          `JSON output: generated token ${id} (position ${row.consumed - promptLength} of the output) cannot continue valid JSON; ` +
            'was a processor that raises scores placed after the JSON processor?',
        );
      }
    }
    return row.cursor;
  }
}
