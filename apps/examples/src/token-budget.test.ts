import { Tokenizer } from '@gptj/tokenizer';
import { describe, expect, it } from 'vitest';
import { field, runExample } from './test-support/run-example.js';
import { longDocument, streamDecode, truncateToTokens } from './token-budget.js';

// References from js-tiktoken 1.0.21 (getEncoding('gpt2')), not from this project's tokenizer.
const DOC_TOKENS = 17620; // encode(longDocument()).length
const HEAD_2000_CHARS = 3842; // decode(first 2000 ids).length
const LINE_IDS = [4798, 7203, 71, 2634, 18798, 50169, 233, 220, 10310, 244, 45911, 234, 4943]; // print("héllo 👋 世界")

const tok = Tokenizer.gptj();

describe('token-budget example', () => {
  it('prints the count, the fit, the truncation and the streamed pieces', async () => {
    const out = await runExample('token-budget');
    expect(field(out, 'document')).toBe(`${longDocument().length} characters, ${DOC_TOKENS} tokens`);
    expect(field(out, 'fits in 2048 tokens')).toBe('false');
    const head = longDocument().slice(0, HEAD_2000_CHARS);
    expect(field(out, 'truncated to 2000 tokens (budget 2000)')).toBe(`${HEAD_2000_CHARS} characters, ends with ${JSON.stringify(head.slice(-40))}`);
    // The emoji's bytes span two ids and the CJK characters' span two each: '' until a character is whole.
    expect(field(out, 'streamed 13 ids')).toBe('"print" "(\\"" "h" "é" "llo" " " "👋" " " "" "世" "" "界" "\\")" ""');
    expect(field(out, 'streamed text')).toBe('print("héllo 👋 世界")');
  });

  it('truncates on a token boundary for every budget, dropping a character split across the cut whole', () => {
    const doc = longDocument(24);
    const ids = tok.encode(doc);
    let splitCuts = 0;
    for (let budget = 1; budget <= ids.length; budget++) {
      const head = truncateToTokens(tok, doc, budget);
      expect(doc.startsWith(head.text)).toBe(true);
      expect(head.ids).toEqual(ids.slice(0, head.ids.length));
      expect(tok.decode(head.ids)).toBe(head.text); // no U+FFFD: whole characters only
      expect(budget - head.ids.length).toBeLessThanOrEqual(2); // at most a character's other tokens go
      if (head.ids.length < budget) splitCuts++;
    }
    expect(splitCuts).toBe(24 * 3); // per function: inside π (2 tokens), twice inside 📐 (3)
    expect(truncateToTokens(tok, doc, ids.length + 1)).toEqual({ ids, text: doc });
    expect(truncateToTokens(tok, doc, 0)).toEqual({ ids: [], text: '' });
    expect(() => truncateToTokens(tok, doc, -1)).toThrow('truncateToTokens: maxTokens must be an integer >= 0, got -1');
  });

  it('stream-decodes to the same ids js-tiktoken gives and to the whole text', () => {
    expect(tok.encode('print("héllo 👋 世界")')).toEqual(LINE_IDS);
    expect(streamDecode(tok, LINE_IDS).join('')).toBe('print("héllo 👋 世界")');
  });
});
