import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TokenizerLoadError } from './errors.js';
import { LIMITS } from './limits.js';
import { readRegularFile } from './read-regular-file.js';
import { TOKENIZER_FILE_NAMES, vocabularyFromTexts, type TokenizerFiles } from './tokenizer-files.js';
import type { Vocabulary } from './vocabulary.js';

/**
 * Reads a Hugging Face tokenizer directory of the GPT-2 byte-level BPE family into a Vocabulary (see
 * vocabularyFromTexts). Every file is checked to be a regular file of bounded size before it is read.
 */
export async function loadVocabularyFromDirectory(dir: string): Promise<Vocabulary> {
  if (typeof dir !== 'string') throw new TypeError(`fromDirectory: dir must be a path string, got ${typeof dir}`);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new TokenizerLoadError(`${dir}: not a directory`);
  const files: Record<string, string> = {};
  for (const name of TOKENIZER_FILE_NAMES) {
    if (files['tokenizer.json'] !== undefined && (name === 'vocab.json' || name === 'merges.txt')) continue; // unused then
    const text = await readRegularFile(join(dir, name), LIMITS.fileBytes);
    if (text !== undefined) files[name] = text;
  }
  return vocabularyFromTexts(files as TokenizerFiles, (name) => join(dir, name), dir);
}
