import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixturePath, readFixtureJson } from '@gptj/test-fixtures';
import { Tokenizer, TokenizerLoadError } from './index.js';
import { byteToChar } from './byte-unicode.js';
import { mixedCorpus } from './corpus.js';

/** The fixture is a Hugging Face GPT-J tokenizer directory: vocab.json, merges.txt, added_tokens.json, ... */
const hfDir = fixturePath('gpt2-tokenizer');
const FILES = ['vocab.json', 'merges.txt', 'added_tokens.json', 'special_tokens_map.json', 'tokenizer_config.json'];
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'gptj-tokenizer-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A fresh directory under tmp holding the given files. */
async function dirWith(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(dir);
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  return dir;
}

/** A tokenizer.json as `tokenizers` writes it for GPT-2, built from the fixture's vocab.json + merges.txt. */
async function tokenizerJson(mergeStyle: 'strings' | 'pairs'): Promise<string> {
  const vocab = readFixtureJson<Record<string, number>>('gpt2-tokenizer', 'vocab.json');
  const added = readFixtureJson<Record<string, number>>('gpt2-tokenizer', 'added_tokens.json');
  const lines = (await readFile(join(hfDir, 'merges.txt'), 'utf8'))
    .split('\n')
    .slice(1)
    .filter((l) => l !== '');
  return JSON.stringify({
    version: '1.0',
    added_tokens: [{ id: 50256, content: '<|endoftext|>', special: true }, ...Object.entries(added).map(([content, id]) => ({ id, content, special: false }))],
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    decoder: { type: 'ByteLevel' },
    model: { type: 'BPE', vocab, merges: mergeStyle === 'strings' ? lines : lines.map((l) => l.split(' ')) },
  });
}

describe('Tokenizer.fromDirectory', () => {
  it('loads vocab.json + merges.txt and matches the bundled vocabulary id for id', async () => {
    const hf = await Tokenizer.fromDirectory(hfDir);
    const bundled = Tokenizer.gptj();
    expect(hf.vocabSize).toBe(50400);
    expect(hf.eosTokenId).toBe(50256);
    expect([...hf.specialTokens]).toEqual(expect.arrayContaining([...bundled.specialTokens]));
    expect(hf.specialTokens.size).toBe(bundled.specialTokens.size);
    const text = mixedCorpus(100_000, 21);
    expect(hf.encode(text)).toEqual(bundled.encode(text));
    // every id spells the same bytes: the bundled data is a faithful copy of vocab.json
    const vocab = readFixtureJson<Record<string, number>>('gpt2-tokenizer', 'vocab.json');
    const spelledById: string[] = [];
    for (const [spelled, id] of Object.entries(vocab)) spelledById[id] = spelled;
    const bytesOf = (t: Tokenizer, id: number) => (t as unknown as { vocab: { bytesOf(i: number): Uint8Array } }).vocab.bytesOf(id).join();
    const charByte = new Map(byteToChar.map((c, b) => [c, b]));
    const utf8 = new TextEncoder();
    const differ: number[] = [];
    for (let id = 0; id < 50400; id++) {
      const want = (id < 50256 ? [...spelledById[id]!].map((c) => charByte.get(c)!) : [...utf8.encode(bundled.decode([id]))]).join();
      if (bytesOf(bundled, id) !== want || bytesOf(hf, id) !== want) differ.push(id);
    }
    expect(differ).toEqual([]);
  }, 30_000);

  it('loads the mini-code demo checkpoint directory and reproduces its sample prompt ids', async () => {
    const dir = fileURLToPath(new URL('../../mini-code/checkpoint', import.meta.url));
    const t = await Tokenizer.fromDirectory(dir);
    expect(t.vocabSize).toBe(50400);
    const { samples } = JSON.parse(await readFile(join(dir, 'samples.json'), 'utf8')) as { samples: { prompt: string; prompt_ids: number[] }[] };
    for (const s of samples) expect(t.encode(s.prompt)).toEqual(s.prompt_ids);
  }, 30_000);

  it('loads tokenizer.json with either merges format', async () => {
    const bundled = Tokenizer.gptj();
    const text = mixedCorpus(20_000, 22);
    for (const style of ['strings', 'pairs'] as const) {
      const dir = await dirWith(`tj-${style}`, { 'tokenizer.json': await tokenizerJson(style) });
      const t = await Tokenizer.fromDirectory(dir);
      expect(t.vocabSize).toBe(50400);
      expect(t.eosTokenId).toBe(50256);
      expect(t.encode(text)).toEqual(bundled.encode(text));
      expect(t.encode('<|extratoken_3|>', { allowedSpecial: 'all' })).toEqual([50259]);
    }
  }, 30_000);

  it('reports what is wrong with a bad directory', async () => {
    const copy = async (name: string, drop: string[] = []) => {
      const dir = join(tmp, name);
      await mkdir(dir);
      for (const f of FILES.filter((f) => !drop.includes(f))) await copyFile(join(hfDir, f), join(dir, f));
      return dir;
    };
    await expect(Tokenizer.fromDirectory(join(tmp, 'missing'))).rejects.toThrow(/not a directory/);
    await expect(Tokenizer.fromDirectory(await copy('no-merges', ['merges.txt']))).rejects.toThrow(
      /no tokenizer\.json, and no vocab\.json \+ merges\.txt pair/,
    );
    const badJson = await copy('bad-json');
    await writeFile(join(badJson, 'vocab.json'), '{"a": 1,');
    await expect(Tokenizer.fromDirectory(badJson)).rejects.toThrow(/vocab\.json: invalid JSON/);
    const badMerge = await copy('bad-merge');
    await writeFile(join(badMerge, 'merges.txt'), '#version: 0.2\nĠ t\nthree parts here\n');
    await expect(Tokenizer.fromDirectory(badMerge)).rejects.toThrow(/merges\.txt: line 3 is not "left right"/);
    const unknownMerge = await copy('unknown-merge');
    await writeFile(join(unknownMerge, 'merges.txt'), '#version: 0.2\nĠ t\nzzzq Ġ\n');
    await expect(Tokenizer.fromDirectory(unknownMerge)).rejects.toThrow(/merge 2 \("zzzq" "Ġ"\) uses a token that is not in the vocabulary/);
    const wordPiece = await dirWith('wordpiece', { 'tokenizer.json': JSON.stringify({ model: { type: 'WordPiece', vocab: {} } }) });
    await expect(Tokenizer.fromDirectory(wordPiece)).rejects.toThrow(/model\.type is "WordPiece", expected "BPE"/);
    const prefix = await copy('prefix');
    await writeFile(join(prefix, 'tokenizer_config.json'), '{"add_prefix_space": true}');
    await expect(Tokenizer.fromDirectory(prefix)).rejects.toThrow(/add_prefix_space: true is not supported/);
    await expect(Tokenizer.fromDirectory(badJson)).rejects.toBeInstanceOf(TokenizerLoadError);
  }, 30_000);
});

describe('Tokenizer.forModelDirectory', () => {
  it("a directory's own files when it has them, else the bundled GPT-J vocabulary", async () => {
    const fromHf = await Tokenizer.forModelDirectory(hfDir);
    expect(fromHf).not.toBe(Tokenizer.gptj());
    expect(fromHf.encode('def main():\n    return 42')).toEqual(Tokenizer.gptj().encode('def main():\n    return 42'));
    const weightsOnly = await dirWith('weights-only', { 'config.json': '{}' });
    expect(await Tokenizer.forModelDirectory(weightsOnly)).toBe(Tokenizer.gptj());
  }, 30_000);

  it('refuses what is not a directory, and bad tokenizer files, with TokenizerLoadError', async () => {
    await expect(Tokenizer.forModelDirectory(join(tmp, 'missing'))).rejects.toThrow(new TokenizerLoadError(`${join(tmp, 'missing')}: not a directory`));
    const bad = await dirWith('bad-own', { 'tokenizer.json': '{' });
    await expect(Tokenizer.forModelDirectory(bad)).rejects.toBeInstanceOf(TokenizerLoadError);
  });
});
