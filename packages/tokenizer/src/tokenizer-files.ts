import { TokenizerLoadError } from './errors.js';
import { parseJsonObject, shown, type Json } from './json-file.js';
import { LIMITS } from './limits.js';
import { vocabularyFromFiles, type SpecialToken, type Vocabulary } from './vocabulary.js';

/** The files of a Hugging Face tokenizer directory that the loader reads. */
export const TOKENIZER_FILE_NAMES = [
  'tokenizer.json',
  'vocab.json',
  'merges.txt',
  'added_tokens.json',
  'special_tokens_map.json',
  'tokenizer_config.json',
] as const;

/** The text of each file that exists (as read from a directory, or supplied in memory). */
export type TokenizerFiles = { readonly [name in (typeof TOKENIZER_FILE_NAMES)[number]]?: string };

/** Checks files given in memory (Tokenizer.fromFiles): known names, string contents of bounded size. */
export function checkFiles(files: unknown): TokenizerFiles {
  if (typeof files !== 'object' || files === null || Array.isArray(files)) {
    throw new TypeError(`fromFiles: files must be an object mapping file names to their text, got ${shown(files)}`);
  }
  for (const [name, text] of Object.entries(files)) {
    if (!(TOKENIZER_FILE_NAMES as readonly string[]).includes(name)) {
      throw new TokenizerLoadError(`${shown(name)}: not a tokenizer file name (known: ${TOKENIZER_FILE_NAMES.join(', ')})`);
    }
    if (typeof text !== 'string') throw new TokenizerLoadError(`${name}: expected the file's text as a string, got ${shown(text)}`);
    if (text.length > LIMITS.fileBytes) throw new TokenizerLoadError(`${name}: more than the ${LIMITS.fileBytes} characters a tokenizer file may have`);
  }
  return files as TokenizerFiles;
}

/** A token named in special_tokens_map.json / tokenizer_config.json: a string or { content: string }. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as Json).content === 'string') {
    return (value as Json).content as string;
  }
  return undefined;
}

function checkMergeCount(count: number, file: string): void {
  if (count > LIMITS.ids) throw new TokenizerLoadError(`${file}: more than ${LIMITS.ids} merges`);
}

/** merges.txt, line by line (not split all at once: 64 MiB of newlines would be 64M strings) and counted as it goes. */
function parseMergeLines(text: string, file: string): [string, string][] {
  const merges: [string, string][] = [];
  for (let start = 0, i = 0; start <= text.length; i++) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    const line = text.slice(start, text.charCodeAt(end - 1) === 0x0d && end > start ? end - 1 : end);
    start = end + 1;
    if (line === '' || (i === 0 && line.startsWith('#version'))) continue;
    const parts = line.split(' ');
    if (parts.length !== 2) throw new TokenizerLoadError(`${file}: line ${i + 1} is not "left right": ${shown(line)}`);
    merges.push(parts as [string, string]);
    checkMergeCount(merges.length, file);
  }
  return merges;
}

/** tokenizer.json's model.merges: "left right" strings (older files) or [left, right] pairs (newer). */
function parseJsonMerges(value: unknown, file: string): [string, string][] {
  if (!Array.isArray(value)) throw new TokenizerLoadError(`${file}: model.merges must be an array`);
  checkMergeCount(value.length, file);
  return value.map((m, i) => {
    const pair = typeof m === 'string' ? m.split(' ') : m;
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw new TokenizerLoadError(`${file}: model.merges[${i}] is not a merge: ${shown(m)}`);
    }
    return [pair[0], pair[1]];
  });
}

function checkVocab(value: unknown, file: string): Map<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenizerLoadError(`${file}: the vocabulary must be an object mapping tokens to ids`);
  }
  // A Map, so that a token spelled like an Object.prototype member ("constructor") is never found there.
  const entries = Object.entries(value);
  if (entries.length > LIMITS.ids) throw new TokenizerLoadError(`${file}: more than ${LIMITS.ids} tokens`);
  return new Map(entries);
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
 * Special tokens gathered from several files. A token named twice must have the same id both times: a
 * conflict is refused (naming both files) rather than resolved by whichever file was read last.
 */
class SpecialTokenList {
  private readonly byContent = new Map<string, { id: unknown; file: string }>();

  add(content: string, id: unknown, file: string): void {
    const seen = this.byContent.get(content);
    if (seen !== undefined && seen.id !== undefined && id !== undefined && seen.id !== id) {
      throw new TokenizerLoadError(`${file}: special token ${shown(content)} has id ${shown(id)}, but ${shown(seen.id)} in ${seen.file}`);
    }
    if (seen === undefined || seen.id === undefined) this.byContent.set(content, { id, file });
    if (this.byContent.size > LIMITS.specialTokens) {
      throw new TokenizerLoadError(`${file}: more than ${LIMITS.specialTokens} special tokens`);
    }
  }

  has(content: string): boolean {
    return this.byContent.has(content);
  }

  /** The list, with tokens that were named without an id given their vocabulary id. */
  resolve(vocab: ReadonlyMap<string, unknown>, where: string): SpecialToken[] {
    return [...this.byContent].map(([content, { id, file }]) => {
      const resolved = id ?? vocab.get(content);
      if (resolved === undefined) throw new TokenizerLoadError(`${where}: special token ${shown(content)} has no id`);
      return { content, id: resolved as number, file };
    });
  }
}

/**
 * Builds the Vocabulary of a Hugging Face tokenizer directory of the GPT-2 byte-level BPE family from its
 * files' text; `path(name)` is how errors name a file. Special tokens are the union of tokenizer.json's
 * added_tokens, added_tokens.json, tokenizer_config.json's added_tokens_decoder and the tokens named in
 * special_tokens_map.json; the end-of-text token is the eos_token of tokenizer_config.json or
 * special_tokens_map.json, else "<|endoftext|>". Throws TokenizerLoadError naming the file and what is wrong.
 */
export function vocabularyFromTexts(files: TokenizerFiles, path: (name: string) => string, where: string): Vocabulary {
  const json = (name: 'tokenizer.json' | 'vocab.json' | 'added_tokens.json' | 'special_tokens_map.json' | 'tokenizer_config.json') => {
    const text = files[name];
    return text === undefined ? undefined : parseJsonObject(text, path(name));
  };
  const tokenizerJson = json('tokenizer.json');
  const config = json('tokenizer_config.json') ?? {};
  const specialMap = json('special_tokens_map.json') ?? {};
  const addedJson = json('added_tokens.json') ?? {};

  let vocab: Map<string, unknown>;
  let merges: [string, string][];
  let vocabFile: string;
  let mergesFile: string;
  const specials = new SpecialTokenList();
  if (tokenizerJson !== undefined) {
    vocabFile = mergesFile = path('tokenizer.json');
    const model = tokenizerJson.model as Json | undefined;
    if (model?.type !== 'BPE') throw new TokenizerLoadError(`${vocabFile}: model.type is ${shown(model?.type)}, expected "BPE"`);
    const pre = byteLevel(tokenizerJson.pre_tokenizer);
    if (!pre.found) throw new TokenizerLoadError(`${vocabFile}: not a byte-level BPE (pre_tokenizer has no ByteLevel step)`);
    if (pre.addPrefixSpace) throw new TokenizerLoadError(`${vocabFile}: add_prefix_space: true is not supported`);
    vocab = checkVocab(model.vocab, vocabFile);
    merges = parseJsonMerges(model.merges, vocabFile);
    const added = tokenizerJson.added_tokens ?? [];
    if (!Array.isArray(added)) throw new TokenizerLoadError(`${vocabFile}: added_tokens must be an array`);
    for (const t of added) {
      if (typeof t?.content !== 'string') throw new TokenizerLoadError(`${vocabFile}: added token without content: ${shown(t)}`);
      specials.add(t.content, t.id, vocabFile);
    }
  } else {
    if (files['vocab.json'] === undefined || files['merges.txt'] === undefined) {
      throw new TokenizerLoadError(`${where}: no tokenizer.json, and no vocab.json + merges.txt pair either`);
    }
    vocabFile = path('vocab.json');
    mergesFile = path('merges.txt');
    vocab = checkVocab(json('vocab.json'), vocabFile);
    merges = parseMergeLines(files['merges.txt'], mergesFile);
  }
  if (config.add_prefix_space === true) {
    throw new TokenizerLoadError(`${path('tokenizer_config.json')}: add_prefix_space: true is not supported`);
  }
  for (const [content, id] of Object.entries(addedJson)) specials.add(content, id, path('added_tokens.json'));
  const decoderEntries = config.added_tokens_decoder;
  if (typeof decoderEntries === 'object' && decoderEntries !== null) {
    for (const [id, t] of Object.entries(decoderEntries as Json)) {
      const content = tokenContent(t);
      if (content !== undefined) specials.add(content, Number(id), path('tokenizer_config.json'));
    }
  }
  for (const value of Object.values(specialMap)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      const content = tokenContent(v);
      if (content !== undefined) specials.add(content, undefined, path('special_tokens_map.json'));
    }
  }
  const eosToken = tokenContent(config.eos_token) ?? tokenContent(specialMap.eos_token) ?? '<|endoftext|>';
  if (!specials.has(eosToken)) specials.add(eosToken, undefined, where);
  return vocabularyFromFiles(vocab, merges, specials.resolve(vocab, where), eosToken, { vocab: vocabFile, merges: mergesFile });
}
