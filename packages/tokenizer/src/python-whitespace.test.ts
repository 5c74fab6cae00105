import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from './index.js';

/**
 * Ids made by GPT-2's original encoder under Python's `regex` module (scripts/gpt2-reference-encoder.py),
 * on texts full of the code points where regex's \s and JavaScript's \s disagree (U+0085 and U+FEFF).
 */
const fixture = JSON.parse(readFileSync(new URL('../fixtures/python-whitespace-ids.json', import.meta.url), 'utf8')) as {
  disagreeing_code_points: string[];
  cases: { text: string; ids: number[] }[];
};

describe("whitespace as Python's regex \\s (Hugging Face's GPT2Tokenizer)", () => {
  it('the fixture covers U+0085 and U+FEFF', () => {
    expect(fixture.disagreeing_code_points).toEqual(['U+0085', 'U+FEFF']);
    expect(fixture.cases.length).toBeGreaterThan(200);
  });

  it("encodes every fixture text to the reference encoder's ids", () => {
    const tok = Tokenizer.gptj();
    const wrong = fixture.cases.filter((c) => JSON.stringify(tok.encode(c.text)) !== JSON.stringify(c.ids));
    expect(wrong.map((c) => `${JSON.stringify(c.text)}: ours ${tok.encode(c.text).join()}, python ${c.ids.join()}`)).toEqual([]);
  });
});
