import fc from 'fast-check';
import { describe, it } from 'vitest';
import { fuzz, fuzzTimeoutMs } from '@gptj/test-fixtures/fuzz';
import { Tokenizer, TokenizerError, type TokenizerFiles } from './index.js';
import { fixtureFiles, fixtureMergeLines, wellFormed } from './test-support/fixture-files.js';

// Mutation fuzzing of the tokenizer directory files (fromFiles: the same parser fromDirectory feeds).
// Inputs are small tokenizers derived from the real GPT-J files (the 256 bytes and the first k merges, so a
// load costs about a millisecond), edited as objects (duplicated and conflicting ids, odd values and
// keys, repeated merges, a tokenizer.json form) and then as text (truncation, character flips, splices,
// deep nesting, huge numbers); one input in 2000 is the real 800 KB files with text edits (0.4 s each).
// Invariant: fromFiles returns or throws a TokenizerError, within the time bound; and a tokenizer that
// loads is consistent: decode(encode(s)) === s and every special token encodes, when allowed, to its own id.

const realVocab = JSON.parse(fixtureFiles['vocab.json']) as Record<string, number>;
const tokenOfId: string[] = [];
for (const [t, id] of Object.entries(realVocab)) tokenOfId[id] = t;

type Obj = Record<string, unknown>;
interface Parts {
  vocab: Obj;
  merges: string[];
  added: Obj;
  specialMap: Obj;
  config: Obj;
}

/** The 256 byte tokens, the first k merges and their products (real ids), <|endoftext|> and `extra` added tokens. */
function smallParts(k: number, extra: number): Parts {
  const vocab: Obj = {};
  for (let id = 0; id < 256 + k; id++) vocab[tokenOfId[id]!] = id;
  const eos = 256 + k;
  vocab['<|endoftext|>'] = eos;
  const added: Obj = {};
  for (let j = 1; j <= extra; j++) added[`<|extratoken_${j}|>`] = eos + j;
  return {
    vocab,
    merges: fixtureMergeLines.slice(0, k),
    added,
    specialMap: JSON.parse(fixtureFiles['special_tokens_map.json']) as Obj,
    config: JSON.parse(fixtureFiles['tokenizer_config.json']) as Obj,
  };
}

const ODD_VALUES: unknown[] = [
  -1,
  -0,
  0.5,
  2 ** 21,
  2 ** 21 - 1,
  2 ** 31,
  2 ** 53,
  1e308,
  null,
  '5',
  [],
  {},
  true,
  { content: 5 },
  { content: '<|endoftext|>' },
];
const ODD_KEYS = [
  '',
  '\ud800',
  '\ufeff',
  '\u0085',
  ' ',
  'Ġ',
  '__proto__',
  'constructor',
  'toString',
  '<|endoftext|>',
  '<|extratoken_1|>',
  'a'.repeat(1100),
  'é',
  '😀',
  'Ġthe',
  '\u0000',
];

/** One edit of the parsed files, chosen and placed by the integers (fast-check shrinks them). */
function editParts(p: Parts, op: number, a: number, b: number): void {
  const vocabKeys = Object.keys(p.vocab);
  const key = vocabKeys[a % Math.max(1, vocabKeys.length)] ?? 'x';
  const idOf = (n: number) => p.vocab[vocabKeys[n % Math.max(1, vocabKeys.length)] ?? 'x'];
  const odd = ODD_VALUES[b % ODD_VALUES.length];
  const oddKey = ODD_KEYS[b % ODD_KEYS.length]!;
  switch (op % 12) {
    case 0:
      p.vocab[oddKey] = idOf(a);
      break; // a second token with an existing id
    case 1:
      p.added[oddKey] = idOf(a);
      break; // an added token reusing an id
    case 2:
      p.merges.push(p.merges[a % Math.max(1, p.merges.length)] ?? 'Ġ t');
      break; // a repeated merge
    case 3:
      p.merges.splice(a % (p.merges.length + 1), 0, [`${oddKey} ${key}`, `${key}`, `${key} ${key} ${key}`, ''][b % 4]!);
      break;
    case 4:
      p.vocab[key] = odd;
      break;
    case 5:
      p.added[oddKey] = odd;
      break;
    case 6:
      p.vocab[oddKey] = 300 + (b % 300);
      break;
    case 7:
      p.specialMap[['eos_token', 'bos_token', 'additional_special_tokens'][a % 3]!] = [odd, oddKey, [oddKey, '<|endoftext|>']][b % 3];
      break;
    case 8:
      p.config[['eos_token', 'add_prefix_space', 'added_tokens_decoder'][a % 3]!] = [odd, oddKey, { [String(odd)]: { content: oddKey } }][b % 3];
      break;
    case 9:
      delete p.vocab[key];
      break;
    case 10:
      p.merges.reverse();
      break;
    default:
      p.added[`<|extratoken_${b}|>`] = b % 8 === 0 ? 2 ** 21 - 1 - (a % 4) : 50_000 + (a % 1000);
      break; // large legal ids (the largest cost ~0.2 s)
  }
}

/** The files' text: vocab.json + merges.txt, or one tokenizer.json (merges as strings or pairs). */
function serialize(p: Parts, form: number): Record<string, string> {
  const common = {
    'added_tokens.json': JSON.stringify(p.added),
    'special_tokens_map.json': JSON.stringify(p.specialMap),
    'tokenizer_config.json': JSON.stringify(p.config),
  };
  if (form % 4 !== 3) return { ...common, 'vocab.json': JSON.stringify(p.vocab), 'merges.txt': ['#version: 0.2', ...p.merges].join('\n') };
  const tokenizerJson = {
    added_tokens: Object.entries(p.added).map(([content, id]) => ({ id, content, special: true })),
    pre_tokenizer: form % 8 === 3 ? { type: 'ByteLevel', add_prefix_space: false } : { type: 'Sequence', pretokenizers: [{ type: 'ByteLevel' }] },
    model: { type: 'BPE', vocab: p.vocab, merges: form % 16 < 8 ? p.merges : p.merges.map((m) => m.split(' ')) },
  };
  return { ...common, 'tokenizer.json': JSON.stringify(tokenizerJson) };
}

const SPLICES = [
  '"',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '\\',
  '\\u',
  '\\ud800',
  ' ',
  '\n',
  '0',
  '-',
  'e999',
  '1e308',
  '99999999999999999999',
  'null',
  '\u0000',
  '\ud800',
  '\ufeff',
  'é',
  '#version',
  'Ġ Ġ',
];

/** One edit of a file's text. */
function editText(text: string, op: number, at: number, b: number): string {
  const i = text.length === 0 ? 0 : at % (text.length + 1);
  switch (op % 6) {
    case 0:
      return text.slice(0, i); // truncated
    case 1:
      return text.slice(0, i) + String.fromCharCode(b % 0x10000) + text.slice(i + 1); // one character replaced
    case 2:
      return text.slice(0, i) + SPLICES[b % SPLICES.length] + text.slice(i);
    case 3: {
      const n = [2, 63, 64, 65, 1000, 100_000][b % 6]!;
      return text.slice(0, i) + '['.repeat(n) + ']'.repeat(n) + text.slice(i);
    } // prettier-ignore
    case 4:
      return text.replace(/\d+/, ['-1', '1e999', '2097152', '18446744073709551616', '0.5', '-0'][b % 6]!); // a huge or odd number
    default:
      return text.slice(0, i) + text.slice(i, i + 1 + (b % 64)).repeat(2) + text.slice(i + 1 + (b % 64)); // a duplicated span
  }
}

const NAMES = ['vocab.json', 'merges.txt', 'added_tokens.json', 'special_tokens_map.json', 'tokenizer_config.json', 'tokenizer.json'];
const edit = fc.tuple(fc.nat(), fc.nat(), fc.nat());
const smallInput = fc.record({
  k: fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 40 }) }, { weight: 1, arbitrary: fc.nat({ max: 400 }) }),
  extra: fc.nat({ max: 8 }),
  form: fc.nat(),
  partEdits: fc.array(edit, { maxLength: 3 }),
  textEdits: fc.array(fc.tuple(fc.nat(), edit), { maxLength: 3 }),
  drop: fc.option(fc.nat(), { freq: 10 }),
});
const fullInput = fc.record({ textEdits: fc.array(fc.tuple(fc.nat(), edit), { minLength: 1, maxLength: 2 }) });

function applyTextEdits(files: Record<string, string>, edits: [number, [number, number, number]][]): void {
  for (const [f, [op, at, b]] of edits) {
    const name = Object.keys(files)[f % Object.keys(files).length]!;
    files[name] = editText(files[name]!, op, at, b);
  }
}

const SAMPLES = ['', 'hello world', ' the a\n\n', "it's 12 é😀\u0085\ufeff \ud800", 'abc'.repeat(20)];

/** fromFiles(files) returns or throws only a TokenizerError; a loaded tokenizer must round-trip and keep its specials apart. */
function check(files: TokenizerFiles): boolean {
  let tok: Tokenizer;
  try {
    tok = Tokenizer.fromFiles(files);
  } catch (e) {
    if (e instanceof TokenizerError) return true;
    throw e;
  }
  for (const text of SAMPLES) {
    if (tok.decode(tok.encode(text)) !== wellFormed(text)) throw new Error(`loaded, but ${JSON.stringify(text)} does not round-trip`);
  }
  for (const [content, id] of tok.specialTokens) {
    const ids = tok.encode(content, { allowedSpecial: 'all' });
    if (ids.length !== 1 || ids[0] !== id || tok.decode(ids) !== content) throw new Error(`special ${JSON.stringify(content)} (${id}) encodes as ${ids}`);
  }
  return true;
}

describe('fuzz: tokenizer directory files', () => {
  it(
    'load or throw a TokenizerError; what loads is consistent',
    () => {
      fuzz(
        'tokenizer-files',
        [fc.oneof({ weight: 2000, arbitrary: smallInput.map((x) => ({ small: x })) }, { weight: 1, arbitrary: fullInput.map((x) => ({ full: x })) })],
        (input) => {
          let files: Record<string, string>;
          if ('small' in input) {
            const { k, extra, form, partEdits, textEdits, drop } = input.small;
            const parts = smallParts(k, extra);
            for (const [op, a, b] of partEdits) editParts(parts, op, a, b);
            files = serialize(parts, form);
            applyTextEdits(files, textEdits);
            if (drop !== null) delete files[NAMES[drop % NAMES.length]!];
          } else {
            files = { ...fixtureFiles };
            applyTextEdits(files, input.full.textEdits);
          }
          return check(files);
        },
        { maxMsPerInput: 5000 }, // a full-file input takes 0.4-1 s on the shared 2-core machine; a hang takes forever
      );
    },
    fuzzTimeoutMs,
  );
});
