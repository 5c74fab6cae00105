import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TokenizerLoadError } from './errors.js';
import { vocabularyFromFiles, type SpecialToken, type Vocabulary } from './vocabulary.js';

type Json = Record<string, unknown>;

async function readText(dir: string, name: string): Promise<string | undefined> {
  try {
    return await readFile(join(dir, name), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TokenizerLoadError(`${join(dir, name)}: cannot read (${(e as Error).message})`);
  }
}

async function readJson(dir: string, name: string): Promise<Json | undefined> {
  const text = await readText(dir, name);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new TokenizerLoadError(`${join(dir, name)}: invalid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenizerLoadError(`${join(dir, name)}: expected a JSON object`);
  }
  return value as Json;
}

/** A token named in special_tokens_map.json / tokenizer_config.json: a string or { content: string }. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as Json).content === 'string') {
    return (value as Json).content as string;
  }
  return undefined;
}

function parseMergeLines(text: string, file: string): [string, string][] {
  const merges: [string, string][] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2) throw new TokenizerLoadError(`${file}: line ${i + 1} is not "left right": ${JSON.stringify(line)}`);
    merges.push(parts as [string, string]);
  });
  return merges;
}

/** tokenizer.json's model.merges: "left right" strings (older files) or [left, right] pairs (newer). */
function parseJsonMerges(value: unknown, file: string): [string, string][] {
  if (!Array.isArray(value)) throw new TokenizerLoadError(`${file}: model.merges must be an array`);
  return value.map((m, i) => {
    const pair = typeof m === 'string' ? m.split(' ') : m;
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw new TokenizerLoadError(`${file}: model.merges[${i}] is not a merge: ${JSON.stringify(m)}`);
    }
    return [pair[0], pair[1]];
  });
}

function checkVocab(value: unknown, file: string): Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenizerLoadError(`${file}: the vocabulary must be an object mapping tokens to ids`);
  }
  return value as Record<string, number>;
}

/** Whether a tokenizer.json pre-tokenizer is (or contains) GPT-2's ByteLevel one, and its add_prefix_space. */
function byteLevel(pre: unknown): { found: boolean; addPrefixSpace: boolean } {
  const node = pre as Json | null;
  if (node?.type === 'ByteLevel') return { found: true, addPrefixSpace: node.add_prefix_space === true };
  if (node?.type === 'Sequence' && Array.isArray(node.pretokenizers)) {
    for (const p of node.pretokenizers) {
      const r = byteLevel(p);
      if (r.found) return r;
    }
  }
  return { found: false, addPrefixSpace: false };
}

/**
 * Reads a Hugging Face tokenizer directory of the GPT-2 byte-level BPE family into a Vocabulary.
 * Special tokens are the union of tokenizer.json's added_tokens, added_tokens.json, tokenizer_config.json's
 * added_tokens_decoder and the tokens named in special_tokens_map.json; the end-of-text token is the
 * eos_token of tokenizer_config.json or special_tokens_map.json, else "<|endoftext|>".
 */
export async function loadVocabularyFromDirectory(dir: string): Promise<Vocabulary> {
  if (typeof dir !== 'string') throw new TypeError(`fromDirectory: dir must be a path string, got ${typeof dir}`);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new TokenizerLoadError(`${dir}: not a directory`);

  const tokenizerJson = await readJson(dir, 'tokenizer.json');
  const config = (await readJson(dir, 'tokenizer_config.json')) ?? {};
  const specialMap = (await readJson(dir, 'special_tokens_map.json')) ?? {};
  const addedJson = (await readJson(dir, 'added_tokens.json')) ?? {};

  let vocab: Record<string, number>;
  let merges: [string, string][];
  let source: string;
  const specials = new Map<string, number | undefined>();
  if (tokenizerJson !== undefined) {
    source = join(dir, 'tokenizer.json');
    const model = tokenizerJson.model as Json | undefined;
    if (model?.type !== 'BPE') throw new TokenizerLoadError(`${source}: model.type is ${JSON.stringify(model?.type)}, expected "BPE"`);
    const pre = byteLevel(tokenizerJson.pre_tokenizer);
    if (!pre.found) throw new TokenizerLoadError(`${source}: not a byte-level BPE (pre_tokenizer has no ByteLevel step)`);
    if (pre.addPrefixSpace) throw new TokenizerLoadError(`${source}: add_prefix_space: true is not supported`);
    vocab = checkVocab(model.vocab, source);
    merges = parseJsonMerges(model.merges, source);
    const added = tokenizerJson.added_tokens ?? [];
    if (!Array.isArray(added)) throw new TokenizerLoadError(`${source}: added_tokens must be an array`);
    for (const t of added) {
      if (typeof t?.content !== 'string') throw new TokenizerLoadError(`${source}: added token without content: ${JSON.stringify(t)}`);
      specials.set(t.content, t.id);
    }
  } else {
    const vocabText = await readText(dir, 'vocab.json');
    const mergesText = await readText(dir, 'merges.txt');
    if (vocabText === undefined || mergesText === undefined) {
      throw new TokenizerLoadError(`${dir}: no tokenizer.json, and no vocab.json + merges.txt pair either`);
    }
    source = join(dir, 'vocab.json');
    vocab = checkVocab((await readJson(dir, 'vocab.json'))!, source);
    merges = parseMergeLines(mergesText, join(dir, 'merges.txt'));
  }
  if (config.add_prefix_space === true) {
    throw new TokenizerLoadError(`${join(dir, 'tokenizer_config.json')}: add_prefix_space: true is not supported`);
  }
  for (const [content, id] of Object.entries(addedJson)) specials.set(content, id as number);
  const decoderEntries = config.added_tokens_decoder;
  if (typeof decoderEntries === 'object' && decoderEntries !== null) {
    for (const [id, t] of Object.entries(decoderEntries as Json)) {
      const content = tokenContent(t);
      if (content !== undefined) specials.set(content, Number(id));
    }
  }
  for (const value of Object.values(specialMap)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      const content = tokenContent(v);
      if (content !== undefined && !specials.has(content)) specials.set(content, undefined);
    }
  }
  const eosToken = tokenContent(config.eos_token) ?? tokenContent(specialMap.eos_token) ?? '<|endoftext|>';
  if (!specials.has(eosToken)) specials.set(eosToken, undefined);

  const list: SpecialToken[] = [];
  for (const [content, id] of specials) {
    const resolved = id ?? vocab[content];
    if (resolved === undefined) throw new TokenizerLoadError(`${dir}: special token ${JSON.stringify(content)} has no id`);
    list.push({ content, id: resolved });
  }
  return vocabularyFromFiles(vocab, merges, list, eosToken, source);
}
