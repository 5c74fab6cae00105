import { miniCodeDir } from '@gptj/mini-code';
import { loadModel } from '@gptj/model';
import { generateText } from '@gptj/sampling';
import { Tokenizer } from '@gptj/tokenizer';
import { describe, expect, it } from 'vitest';
import { FORBIDDEN, forbidStrings, stopAtBlankLine } from './custom-decoding.js';
import { runExample } from './test-support/run-example.js';

const tok = Tokenizer.gptj();
const ctx = (ids: number[], promptLength: number) => ({ ids, promptLength });

describe('custom-decoding example', () => {
  it('streams a function body with no docstring or comment, stopped at its first blank line', async () => {
    const out = await runExample('custom-decoding');
    const [body = '', finish] = out.split(/(?=\[finish: )/);
    expect(body.startsWith('def fibonacci(n):\n    ')).toBe(true);
    for (const s of FORBIDDEN) expect(body).not.toContain(s);
    expect(body).toMatch(/\n[ \t]*\n$/);
    expect(body.trimEnd().split('\n').length).toBeGreaterThan(1); // it wrote code before stopping
    expect(finish).toBe('[finish: stop]\n');
  });

  it('the processor is what removed the docstring: the same seed without it writes one', async () => {
    const model = await loadModel(miniCodeDir);
    const opts = { maxNewTokens: 64, temperature: 0.7, seed: 7, stoppingCriteria: [stopAtBlankLine(tok)] };
    const free = await generateText(model, tok, 'def fibonacci(n):\n', opts);
    expect(free.rows[0]?.text).toContain('"""');
  });

  it('forbids a string however it is spelled: whole, or completed by the next token', () => {
    const scores = () => new Float32Array(tok.vocabSize);
    const forbid = forbidStrings(tok, ['"""', '#']);
    const prompt = tok.encode('def f():\n');
    const allowed = (s: Float32Array, text: string) => s[tok.encode(text)[0]!] !== -Infinity;

    const fresh = scores();
    forbid(prompt, fresh, ctx(prompt, prompt.length));
    expect([allowed(fresh, '"""'), allowed(fresh, '#'), allowed(fresh, '"'), allowed(fresh, '""'), allowed(fresh, 'return')]).toEqual([
      false,
      false,
      true,
      true,
      true,
    ]);

    const afterQuotes = [...prompt, ...tok.encode('    ""')]; // two quotes written: a third would complete """
    const s = scores();
    forbid(afterQuotes, s, ctx(afterQuotes, prompt.length));
    expect([allowed(s, '"'), allowed(s, '")'), allowed(s, ')')]).toEqual([false, false, true]);
    // The prompt's text is not the model's: a """ that spans the prompt boundary is not counted.
    const quotedPrompt = tok.encode('x = ""');
    const p = scores();
    forbid(quotedPrompt, p, ctx(quotedPrompt, quotedPrompt.length));
    expect(allowed(p, '"')).toBe(true);
  });

  it('stops at the first blank line of the generated text, not of the prompt', () => {
    const stop = stopAtBlankLine(tok);
    const prompt = tok.encode('import os\n\ndef f():\n');
    const row = (text: string) => [...prompt, ...tok.encode(text)];
    expect(stop(row('    x = 1\n'), ctx(row('    x = 1\n'), prompt.length))).toBe(false);
    expect(stop(row('    x = 1\n\n'), ctx(row('    x = 1\n\n'), prompt.length))).toBe(true);
    expect(stop(row('    x = 1\n    \n'), ctx(row('    x = 1\n    \n'), prompt.length))).toBe(true);
  });
});
