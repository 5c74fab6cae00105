import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tokenizer, TokenizerLoadError, type TokenizerFiles } from './index.js';
import { byteToChar } from './byte-unicode.js';
import { FIXTURE_FILE_NAMES as NAMES, fixtureFiles as real } from './test-support/fixture-files.js';

const realVocab = JSON.parse(real['vocab.json']) as Record<string, number>;

/** The real files with some replaced; `vocab` edits vocab.json's object. */
function edited(files: TokenizerFiles, vocab?: (v: Record<string, number>) => void): TokenizerFiles {
  const out: TokenizerFiles = { ...real, ...files };
  if (vocab === undefined) return out;
  const v = { ...realVocab };
  vocab(v);
  return { ...out, 'vocab.json': JSON.stringify(v) };
}

const refuses = (files: TokenizerFiles, message: RegExp) => {
  expect(() => Tokenizer.fromFiles(files)).toThrow(TokenizerLoadError);
  expect(() => Tokenizer.fromFiles(files)).toThrow(message);
};

/** A small byte-level vocabulary: the 256 bytes plus `extra` tokens, with `merges`. */
function small(extra: Record<string, number>, merges: string[]): TokenizerFiles {
  const vocab: Record<string, number> = Object.fromEntries(byteToChar.map((c, b) => [c, b]));
  return { 'vocab.json': JSON.stringify({ ...vocab, ...extra, '<|endoftext|>': 999 }), 'merges.txt': merges.join('\n') };
}

describe('tokenizer files with conflicting ids are refused, naming the file, the id and both tokens', () => {
  it('the real files load', () => {
    expect(Tokenizer.fromFiles(real).encode(' the a')).toEqual([262, 257]);
  });

  it('two vocab.json tokens sharing an id (" the" would encode as " a")', () => {
    refuses(
      edited({}, (v) => (v['Ġthe'] = v['Ġa']!)),
      /^vocab\.json: tokens "Ġa" and "Ġthe" both have id 257$/,
    );
  });

  it('added_tokens.json reusing a vocabulary id or another added token id', () => {
    refuses(
      edited({ 'added_tokens.json': '{"<|extratoken_1|>": 262}' }),
      /^added_tokens\.json: special token "<\|extratoken_1\|>" has id 262, which vocab\.json gives to token "Ġthe"$/,
    );
    refuses(
      edited({ 'added_tokens.json': '{"<|a|>": 50257, "<|b|>": 50257}' }),
      /^added_tokens\.json: special tokens "<\|a\|>" and "<\|b\|>" both have id 50257$/,
    );
    refuses(
      edited({ 'added_tokens.json': '{"<|endoftext|>": 50300}' }),
      /^added_tokens\.json: special token "<\|endoftext\|>" has id 50300, but vocab\.json gives it id 50256$/,
    );
  });

  it('one special token given two ids by two files', () => {
    const config = JSON.stringify({ added_tokens_decoder: { 50300: { content: '<|extratoken_1|>' } } });
    refuses(
      edited({ 'tokenizer_config.json': config }),
      /^tokenizer_config\.json: special token "<\|extratoken_1\|>" has id 50300, but 50257 in added_tokens\.json$/,
    );
  });

  it('a special token whose bytes differ from its vocabulary token is a conflict, even when spelled alike (found by fuzzing)', () => {
    // "Ġ" in vocab.json is the byte 0x20; as an added token it is the text "Ġ" (C4 A0): " " decoded as "Ġ"
    refuses(edited({ 'added_tokens.json': '{"Ġ": 220}' }), /^added_tokens\.json: special token "Ġ" has id 220, which vocab\.json gives to token "Ġ"$/);
  });

  it('a special token spelled the same as its vocabulary token in bytes is not a conflict', () => {
    const t = Tokenizer.fromFiles(edited({ 'added_tokens.json': '{" the": 262}' }));
    expect(t.encode(' the', { allowedSpecial: 'all' })).toEqual([262]);
    expect(t.decode([262])).toBe(' the');
  });

  it('merges.txt checked against the vocabulary: parts and result present, no merge listed twice', () => {
    refuses(edited({ 'merges.txt': '#version: 0.2\nĠ t\nh e\nĠ t\n' }), /^merges\.txt: merge 3 \("Ġ" "t"\) repeats merge 1$/);
    refuses(edited({ 'merges.txt': '#version: 0.2\nĠ t\nĠt hezz\n' }), /^merges\.txt: merge 2 \("Ġt" "hezz"\) uses a token that is not in the vocabulary$/);
    // "toString" is not in this vocabulary, though vocab["toString"] is a function on a plain object
    const parts = { to: 256, St: 257, Str: 258, Stri: 259, Strin: 260, String: 261 };
    const merges = ['t o', 'S t', 'St r', 'Str i', 'Stri n', 'Strin g', 'to String'];
    expect(Tokenizer.fromFiles(small(parts, merges.slice(0, -1))).encode('String')).toEqual([261]);
    refuses(small(parts, merges), /^merges\.txt: merge 7 \("to" "String"\) uses a token that is not in the vocabulary$/);
  });

  it('bounds on ids, token length, special tokens and JSON nesting', () => {
    refuses(small({ ab: 1 << 21 }, []), /^vocab\.json: token "ab" has id 2097152, expected an integer 0\.\.2097151$/);
    refuses({ ...small({}, []), 'merges.txt': 'Ġ t\r\n'.repeat((1 << 21) + 1) }, /^merges\.txt: more than 2097152 merges$/);
    refuses(small({ ['a'.repeat(1025)]: 300 }, []), /^vocab\.json: token "a{60}"\.\.\. \(1025 characters\) is longer than 1024 characters$/);
    refuses(edited({ 'added_tokens.json': '{"": 50257}' }), /^added_tokens\.json: special token is empty$/);
    // found by fuzzing: decoded as U+FFFD, so decode(encode(t)) was not t
    refuses(
      edited({ 'added_tokens.json': '{"<|a\\ud800|>": 50257}' }),
      /^added_tokens\.json: special token "<\|a\\ud800\|>" holds a lone surrogate, which has no UTF-8$/,
    );
    const many = Object.fromEntries(Array.from({ length: 16385 }, (_, k) => [`<|t${k}|>`, 60000 + k]));
    refuses(edited({ 'added_tokens.json': JSON.stringify(many) }), /^added_tokens\.json: more than 16384 special tokens$/);
    // 16,000 of 1,000 characters used to load, then crash the process compiling the regex that matches them
    const long = Object.fromEntries(Array.from({ length: 300 }, (_, k) => [`<|${k}|>${'x'.repeat(1000)}`, 60000 + k]));
    refuses(edited({ 'added_tokens.json': JSON.stringify(long) }), /^added_tokens\.json: special tokens of more than 262144 characters in all$/);
    expect(() => Tokenizer.fromFiles({ ...real, 'vocab.txt': '' } as TokenizerFiles)).toThrow(/"vocab\.txt": not a tokenizer file name/);
  }, 30_000);

  it('2M-deep nesting in any JSON file is a TokenizerLoadError, not a stack overflow', () => {
    const n = 2_000_000;
    const deep = ['['.repeat(n) + ']'.repeat(n), '{"a":'.repeat(n) + '1' + '}'.repeat(n), `{"a":${'['.repeat(n)}${']'.repeat(n)}}`];
    for (const name of ['added_tokens.json', 'vocab.json', 'special_tokens_map.json', 'tokenizer_config.json', 'tokenizer.json'] as const) {
      for (const text of deep) refuses(edited({ [name]: text }), new RegExp(`^${name.replace('.', '\\.')}: JSON nested more than 64 levels deep$`));
    }
    // a quote or bracket inside a string does not count
    expect(Tokenizer.fromFiles(edited({ 'added_tokens.json': `{"${'[{\\"'.repeat(100)}": 50257}` })).vocabSize).toBe(50258);
  }, 30_000);
});

describe('fromDirectory refuses special files before reading them', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'gptj-tokenizer-special-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  /** A directory with the real files, `name` replaced by what `make` puts at its path. */
  async function dirWith(tag: string, name: string, make: (path: string) => Promise<unknown> | unknown): Promise<string> {
    const dir = join(tmp, tag);
    await mkdir(dir);
    for (const n of NAMES) if (n !== name) await writeFile(join(dir, n), real[n]);
    await make(join(dir, name));
    return dir;
  }

  it('a FIFO as any tokenizer file (loading used to block forever)', async () => {
    for (const name of [...NAMES, 'tokenizer.json']) {
      const dir = await dirWith(`fifo-${name}`, name, (p) => execFileSync('mkfifo', [p]));
      await expect(Tokenizer.fromDirectory(dir)).rejects.toThrow(new RegExp(`${name.replace('.', '\\.')}: is a FIFO, expected a regular file$`));
    }
  }, 10_000);

  it('a device, a directory, and a file over the size bound', async () => {
    const dev = await dirWith('dev', 'vocab.json', (p) => symlink('/dev/zero', p));
    await expect(Tokenizer.fromDirectory(dev)).rejects.toThrow(/vocab\.json: is a character device, expected a regular file$/);
    const sub = await dirWith('subdir', 'merges.txt', (p) => mkdir(p));
    await expect(Tokenizer.fromDirectory(sub)).rejects.toThrow(/merges\.txt: is a directory, expected a regular file$/);
    const big = await dirWith('big', 'added_tokens.json', async (p) => {
      await writeFile(p, '');
      await truncate(p, 64 * 1024 * 1024 + 1); // sparse: costs nothing
    });
    await expect(Tokenizer.fromDirectory(big)).rejects.toThrow(/added_tokens\.json: 67108865 bytes, more than the 67108864 a tokenizer file may have$/);
    const notUtf8 = await dirWith('latin1', 'added_tokens.json', (p) => writeFile(p, Buffer.from([0x7b, 0xe9, 0x7d])));
    await expect(Tokenizer.fromDirectory(notUtf8)).rejects.toThrow(/added_tokens\.json: not valid UTF-8$/);
  }, 10_000);

  // sysfs files report 4096 bytes and hold fewer: a file that ends before its size, as one truncated while
  // read (merges.txt cut at a line end would parse, with merges missing).
  const shortFile = '/sys/kernel/uevent_seqnum';
  it.skipIf(!existsSync(shortFile))('a file that ends before its reported size is refused, not parsed in part', async () => {
    const dir = await dirWith('short', 'merges.txt', (p) => symlink(shortFile, p));
    await expect(Tokenizer.fromDirectory(dir)).rejects.toThrow(/merges\.txt: shrank while being read \(\d+ of 4096 bytes\)$/);
  });
});
