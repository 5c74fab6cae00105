/**
 * A deterministic, multilingual mixed corpus for parity tests and the benchmark: English prose, source
 * code, numbers and data, CJK, other scripts, emoji (ZWJ sequences, flags, skin tones), combining marks,
 * whitespace runs, contractions in every case, control characters, astral letters and digits, and made-up
 * words so that a piece cache cannot hold everything. Generated from a seeded PRNG, never downloaded.
 */

/** mulberry32: a small, fast, seeded 32-bit PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the of and to a in is that for it as was with be by on not he this are or his from at which but have an ' +
  'they you were her she there been one all we their has would when if so no what up out said its about ' +
  'into than them can only other time new some could these two may first then do any like my now over such ' +
  'our man me even most made after also did many before must through back years where much your way well ' +
  'down should because each just those people how too little state good very make world still own see men ' +
  'work long get here between both life being under never day same another know while last might us great ' +
  'old year off come since against go came right used take three tokenizer model weights tensor gradient ' +
  'server request response function variable compiler memory thread kernel matrix vector attention layer ' +
  'sampling temperature probability language transformer benchmark throughput latency streaming'
).split(' ');
const CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Re", "'VE", "'M", "'LL", "'Ll", "'D"];
const CODE_WORDS = [
  'def',
  'return',
  'if',
  'else',
  'for',
  'while',
  'import',
  'from',
  'class',
  'const',
  'let',
  'async',
  'await',
  'self',
  'None',
  'true',
  'null',
  'this',
  'new',
  'yield',
];
const OPS = [
  ' = ',
  ' == ',
  ' += ',
  ' => ',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ', ',
  '.',
  ': ',
  ';',
  ' + ',
  ' * ',
  ' - ',
  ' / ',
  '->',
  '::',
  ' && ',
  ' || ',
  '!',
  '?',
  '<',
  '>',
];
const EMOJI = [
  '😀',
  '😂',
  '🥲',
  '👍',
  '👍🏽',
  '🙏🏿',
  '❤️',
  '🔥',
  '🚀',
  '🎉',
  '🇫🇷',
  '🇯🇵',
  '🏳️‍🌈',
  '👨‍👩‍👧‍👦',
  '👩🏽‍💻',
  '🧑‍🚀',
  '1️⃣',
  '#️⃣',
  '🤷‍♀️',
  '✌️',
  '🐍',
  '🦀',
  '☕',
  '🇺🇳',
  '👁️‍🗨️',
];
const WHITESPACE = [' ', ' ', ' ', '  ', '\t', '\n', '\n', '\r\n', '\u00a0', '\u3000', '\u2028', '\u000b', '\f', '\u2003', '\u205f'];
const CONTROLS = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\u0008',
  '\u001b',
  '\u001c',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u200b',
  '\u200d',
  '\ufeff',
  '\u00ad',
  '\u2060',
  '\ufffd',
];
const ASTRAL = ['𝐀𝐁𝐂', '𝓗𝓮𝓵𝓵𝓸', '𝟏𝟐𝟑', '𐌰𐌱𐌲', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '𠀀𠀁', '𝒳', '𞤀𞤁'];
/** Letter ranges of other scripts: Cyrillic, Greek, Arabic, Hebrew, Devanagari, Thai, Hangul, Armenian. */
const SCRIPTS: [number, number][] = [
  [0x430, 0x44f],
  [0x3b1, 0x3c9],
  [0x628, 0x64a],
  [0x5d0, 0x5ea],
  [0x915, 0x939],
  [0xe01, 0xe2e],
  [0xac00, 0xd7a3],
  [0x561, 0x586],
];

export function mixedCorpus(targetChars: number, seed = 1): string {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const range = (lo: number, hi: number) => String.fromCharCode(lo + int(hi - lo + 1));
  const madeUp = () => {
    let w = '';
    for (let k = 1 + int(4); k > 0; k--) w += pick(['ka', 'zor', 'ph', 'lin', 'ux', 'qe', 'str', 'ao', 'bel', 'tr', 'vy', 'mn']);
    return w;
  };
  const word = () => (r() < 0.12 ? madeUp() : pick(WORDS));
  const number = () => {
    const k = r();
    if (k < 0.4) return String(int(100));
    if (k < 0.7) return String(int(1e6));
    if (k < 0.85) return (r() * 1000).toFixed(1 + int(4));
    return String(int(1e9)) + String(int(1e9));
  };
  const sections: (() => string)[] = [
    // English prose with contractions in all cases, quotes, numbers and paragraph breaks
    () => {
      let s = '';
      for (let n = 3 + int(6); n > 0; n--) {
        const words: string[] = [];
        for (let k = 4 + int(14); k > 0; k--) {
          let w = word();
          if (r() < 0.07) w += pick(CONTRACTIONS);
          if (r() < 0.05) w = w.toUpperCase();
          if (r() < 0.04) w = number();
          if (r() < 0.06) w += ',';
          words.push(w);
        }
        const first = words[0]!;
        words[0] = first.charAt(0).toUpperCase() + first.slice(1);
        s += (r() < 0.1 ? '"' : '') + words.join(' ') + pick(['.', '.', '.', '!', '?', '...', ';']) + ' ';
      }
      return s + pick(['\n\n', '\n', ' ']);
    },
    // source code with indentation, identifiers, operators, strings, comments
    () => {
      let s = '';
      for (let n = 2 + int(8); n > 0; n--) {
        s += pick(['', '    ', '        ', '\t', '\t\t', '  ']);
        for (let k = 1 + int(6); k > 0; k--) {
          const id = r() < 0.5 ? pick(CODE_WORDS) : `${word()}${pick(['_', '', 'X'])}${r() < 0.5 ? word() : number()}`;
          s += id + pick(OPS);
        }
        if (r() < 0.2) s += ` "${word()} ${word()}\\n"`;
        if (r() < 0.15) s += `  # ${word()} ${word()}`;
        s += '\n';
      }
      return s + (r() < 0.3 ? '\n\n' : '');
    },
    // numbers and data rows
    () => {
      let s = '';
      for (let n = 1 + int(5); n > 0; n--) {
        s += `${number()},${number()},0x${int(1 << 30).toString(16)},2024-${1 + int(12)}-${1 + int(28)},${number()}%\n`;
      }
      return s;
    },
    // CJK: Chinese, Japanese kana, CJK punctuation
    () => {
      let s = '';
      for (let k = 5 + int(40); k > 0; k--) {
        const q = r();
        s += q < 0.6 ? range(0x4e00, 0x9fa5) : q < 0.85 ? range(0x3041, 0x30fa) : pick(['。', '、', '「', '」', '！', '，']);
      }
      return s + pick(['\n', ' ', '']);
    },
    // other scripts, words of random letters
    () => {
      const [lo, hi] = pick(SCRIPTS);
      const words: string[] = [];
      for (let k = 2 + int(10); k > 0; k--) {
        let w = '';
        for (let c = 1 + int(8); c > 0; c--) w += range(lo, hi);
        words.push(w);
      }
      return words.join(' ') + pick(['. ', '\n', ', ']);
    },
    // emoji runs, alone and next to words
    () => {
      let s = '';
      for (let k = 1 + int(6); k > 0; k--) s += (r() < 0.5 ? ' ' : '') + pick(EMOJI) + (r() < 0.3 ? word() : '');
      return s + ' ';
    },
    // combining marks over letters (decomposed accents, zalgo-like stacks)
    () => {
      let s = ' ';
      for (let k = 1 + int(6); k > 0; k--) {
        s += pick(['e', 'a', 'o', 'n', 'u', 'Z', 'i']);
        for (let m = int(4); m > 0; m--) s += range(0x300, 0x36f);
      }
      return s + ' ';
    },
    // whitespace runs
    () => {
      let s = '';
      for (let k = 1 + int(30); k > 0; k--) s += pick(WHITESPACE);
      return s + (r() < 0.5 ? word() : '');
    },
    // control and format characters, astral letters and digits
    () => {
      let s = '';
      for (let k = 1 + int(5); k > 0; k--) s += (r() < 0.5 ? pick(CONTROLS) : pick(ASTRAL)) + (r() < 0.4 ? word() : '');
      return s;
    },
  ];
  const weights = [40, 24, 5, 7, 6, 3, 2, 3, 2];
  const total = weights.reduce((a, b) => a + b, 0);
  const parts: string[] = [];
  let length = 0;
  while (length < targetChars) {
    let w = r() * total;
    let k = 0;
    while (w >= weights[k]!) w -= weights[k++]!;
    const s = sections[k]!();
    parts.push(s);
    length += s.length;
  }
  return parts.join('').slice(0, targetChars);
}
