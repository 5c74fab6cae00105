import { describe, expect, it } from 'vitest';
import { getEncoding } from 'js-tiktoken';
import { SpecialTokenError, Tokenizer, TokenizerError, UnknownTokenIdError } from './index.js';
import { mixedCorpus } from './corpus.js';

const tok = Tokenizer.gptj();
const tiktoken = getEncoding('gpt2');

describe('Tokenizer.gptj()', () => {
  it('has the GPT-J vocabulary shape', () => {
    expect(tok.vocabSize).toBe(50400);
    expect(tok.eosTokenId).toBe(50256);
    expect(tok.specialTokens.size).toBe(144);
    expect(Tokenizer.gptj()).toBe(tok);
  });

  it('decodes every id 0..50399', () => {
    const all = Array.from({ length: 50400 }, (_, id) => id);
    const differ = all.slice(0, 50257).filter((id) => tok.decode([id]) !== tiktoken.decode([id]));
    expect(differ).toEqual([]);
    expect(tok.decode([50256])).toBe('<|endoftext|>');
    for (let k = 1; k <= 143; k++) expect(tok.decode([50256 + k])).toBe(`<|extratoken_${k}|>`);
    expect(tok.decode(all)).toBe(
      tiktoken.decode(all.slice(0, 50256)) + '<|endoftext|>' + Array.from({ length: 143 }, (_, k) => `<|extratoken_${k + 1}|>`).join(''),
    );
  });

  it('rejects ids outside the vocabulary with a typed error naming the id and its position', () => {
    for (const bad of [50400, -1, 1.5, NaN, 1e9, '5' as unknown as number]) {
      expect(() => tok.decode([1, 2, bad])).toThrow(UnknownTokenIdError);
      expect(() => tok.decode([1, 2, bad])).toThrow(/position 2/);
    }
    expect(() => tok.decode([50400])).toThrow(/Token id 50400 at position 0 is not in the vocabulary \(ids are integers 0\.\.50399\)/);
    const d = tok.createStreamDecoder();
    d.write(1);
    expect(() => d.write(99999)).toThrow(UnknownTokenIdError);
  });

  it('rejects non-string text and bad options with a TypeError', () => {
    expect(() => tok.encode(42 as unknown as string)).toThrow(TypeError);
    expect(() => tok.encode(null as unknown as string)).toThrow(/text must be a string, got null/);
    expect(() => tok.encode('x', { allowedSpecial: ['<|endoftext|>'] as unknown as Set<string> })).toThrow(TypeError);
    expect(() => tok.encode('x', { allowedSpecial: new Set(['<|nope|>']) })).toThrow(TokenizerError);
    expect(() => tok.encodeBatch('abc' as unknown as string[])).toThrow(TypeError);
  });
});

describe('special tokens', () => {
  const text = 'a<|endoftext|>b <|extratoken_7|>';

  it('are ordinary text by default', () => {
    expect(tok.encode(text)).toEqual(tiktoken.encode(text, [], []));
    expect(tok.encode(text)).not.toContain(50256);
  });

  it('encode to their ids when allowed', () => {
    const a = tok.encode('a'),
      b = tok.encode('b'),
      sp = tok.encode(' ');
    expect(tok.encode(text, { allowedSpecial: 'all' })).toEqual([...a, 50256, ...b, ...sp, 50263]);
    expect(tok.encode(text, { allowedSpecial: new Set(['<|endoftext|>']) })).toEqual([...a, 50256, ...tok.encode('b <|extratoken_7|>')]);
    expect(tiktoken.encode('a<|endoftext|>b', 'all')).toEqual(tok.encode('a<|endoftext|>b', { allowedSpecial: 'all' }));
    expect(tok.decode(tok.encode(text, { allowedSpecial: 'all' }))).toBe(text);
  });

  it('throw a SpecialTokenError when disallowed, saying how to allow them', () => {
    expect(() => tok.encode(text, { disallowedSpecial: 'all' })).toThrow(SpecialTokenError);
    expect(() => tok.encode(text, { disallowedSpecial: 'all' })).toThrow(
      'Text contains the special token "<|endoftext|>" at index 1, which disallowedSpecial forbids. ' +
        'Pass { allowedSpecial: new Set(["<|endoftext|>"]) } (or \'all\') to encode it as token 50256, ' +
        'or leave it out of disallowedSpecial to encode it as ordinary text.',
    );
    // allowed wins over disallowed 'all'
    expect(() => tok.encode(text, { allowedSpecial: new Set(['<|endoftext|>']), disallowedSpecial: 'all' })).toThrow(/extratoken_7/);
    expect(tok.encode(text, { allowedSpecial: 'all', disallowedSpecial: 'all' })).toContain(50263);
    expect(() => tok.countTokens(text, { disallowedSpecial: new Set(['<|extratoken_7|>']) })).toThrow(SpecialTokenError);
  });
});

describe('encodeBatch, countTokens, isWithinTokenLimit', () => {
  const texts = ['one', 'two words', '', mixedCorpus(5000, 9)];

  it('agree with encode', () => {
    expect(tok.encodeBatch(texts)).toEqual(texts.map((t) => tok.encode(t)));
    for (const t of texts) {
      const n = tok.encode(t).length;
      expect(tok.countTokens(t)).toBe(n);
      expect(tok.isWithinTokenLimit(t, n)).toBe(n);
      expect(tok.isWithinTokenLimit(t, n + 5)).toBe(n);
      if (n > 0) expect(tok.isWithinTokenLimit(t, n - 1)).toBe(false);
    }
    expect(tok.countTokens('x<|endoftext|>', { allowedSpecial: 'all' })).toBe(2);
    expect(tok.isWithinTokenLimit('x<|endoftext|>y', 2, { allowedSpecial: 'all' })).toBe(false);
    expect(tok.isWithinTokenLimit('x<|endoftext|>y', 3, { allowedSpecial: 'all' })).toBe(3);
  });

  it('isWithinTokenLimit stops early on a long text', () => {
    // Mixed text, then 1 MB of one letter: a single pre-token whose merge alone takes hundreds of ms.
    const long = mixedCorpus(2000, 5) + 'a'.repeat(1_000_000);
    tok.isWithinTokenLimit(long, 10); // warm up, and flatten the concatenated string
    const t0 = performance.now();
    expect(tok.isWithinTokenLimit(long, 100)).toBe(false);
    const early = performance.now() - t0;
    const t1 = performance.now();
    const n = tok.countTokens(long);
    const full = performance.now() - t1;
    console.log(`isWithinTokenLimit(1 MB, 100): ${early.toFixed(2)} ms; countTokens(1 MB): ${full.toFixed(0)} ms`);
    expect(tok.isWithinTokenLimit(long, n)).toBe(n);
    expect(early).toBeLessThan(full / 10);
    expect(() => tok.isWithinTokenLimit('x', -1)).toThrow(RangeError);
    expect(() => tok.isWithinTokenLimit('x', 1.5)).toThrow(RangeError);
  }, 30_000);
});

describe('encodeWithOffsets', () => {
  it('gives ids equal to encode and spans whose text is each token', () => {
    const text = mixedCorpus(200_000, 11);
    const { ids, offsets } = tok.encodeWithOffsets(text);
    expect(ids).toEqual(tok.encode(text));
    expect(offsets.length).toBe(ids.length);
    const problems: string[] = [];
    let prevEnd = 0;
    for (let k = 0; k < ids.length; k++) {
      const [start, end] = offsets[k]!;
      const piece = tok.decode([ids[k]!]);
      // A span is non-empty, starts at the previous end (or inside the previous token's last character,
      // at most 2 code units back, when the two tokens share that character), and holds the token's text.
      if (!(start < end) || start > prevEnd || start < prevEnd - 2) problems.push(`token ${k}: span [${start}, ${end}) after ${prevEnd}`);
      if (!piece.includes('\ufffd') && text.slice(start, end) !== piece) problems.push(`token ${k}: ${JSON.stringify(piece)} at [${start}, ${end})`);
      prevEnd = end;
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(prevEnd).toBe(text.length);
  });

  it('gives both halves of a split character the span of the whole character', () => {
    const text = 'a👨‍👩‍👧 x\ud800';
    const { ids, offsets } = tok.encodeWithOffsets(text);
    expect(ids).toEqual(tok.encode(text));
    const spans = offsets.map(([s, e]) => text.slice(s, e));
    // 👨 (U+1F468, 4 UTF-8 bytes) is split into two tokens in GPT-2: both span the surrogate pair.
    expect(spans).toContain('👨');
    expect(spans.filter((s) => s === '👨').length).toBe(2);
    expect(spans.at(-1)).toBe('\ud800');
  });

  it('spans allowed special tokens', () => {
    const text = 'hi<|endoftext|>there';
    const { ids, offsets } = tok.encodeWithOffsets(text, { allowedSpecial: 'all' });
    expect(ids).toEqual(tok.encode(text, { allowedSpecial: 'all' }));
    expect(offsets[ids.indexOf(50256)]).toEqual([2, 15]);
  });
});

describe('createStreamDecoder', () => {
  it('emits only complete characters and joins to decode()', () => {
    const text = 'Hi 👨‍👩‍👧‍👦 日本語 é\u0301 \ufeffBOM 😀';
    const ids = tok.encode(text);
    const d = tok.createStreamDecoder();
    const chunks = ids.map((id) => d.write(id));
    chunks.push(d.end());
    expect(chunks.join('')).toBe(text);
    for (const c of chunks) expect(c).not.toMatch(/\ufffd/);
    // the first byte tokens of 👨 produce nothing until the character is whole
    expect(chunks.some((c) => c === '')).toBe(true);
  });

  it('matches decode() on corpus ids and flushes an incomplete tail as U+FFFD', () => {
    const ids = tok.encode(mixedCorpus(100_000, 13));
    const d = tok.createStreamDecoder();
    let out = '';
    for (const id of ids) out += d.write(id);
    out += d.end();
    expect(out).toBe(tok.decode(ids));
    const emoji = tok.encode('😀');
    expect(emoji.length).toBeGreaterThan(1);
    const d2 = tok.createStreamDecoder();
    expect(d2.write(emoji[0]!)).toBe('');
    expect(d2.end()).toBe('\ufffd');
    expect(d2.write(tok.encode('ok')[0]!)).toBe('ok'); // reusable after end()
  });
});

describe('package boundaries', () => {
  it('has no runtime dependencies and imports no other @gptj package (it installs without the native addon)', async () => {
    const { readFile, readdir } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies?: object };
    expect(Object.keys(pkg.dependencies ?? {})).toEqual([]);
    const dir = new URL('./', import.meta.url);
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.ts') && !/\.test(-util)?\.ts$/.test(f) && f !== 'bench.ts')) {
      const source = await readFile(new URL(file, dir), 'utf8');
      const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      expect(
        imports.filter((i) => !i.startsWith('./') && !i.startsWith('node:')),
        file,
      ).toEqual([]);
    }
  });
});
