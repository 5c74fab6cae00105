import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TokenizerLoadError } from './errors.js';
import { LIMITS } from './limits.js';
import { readRegularFile } from './read-regular-file.js';
import { TOKENIZER_FILE_NAMES, vocabularyFromTexts, type TokenizerFiles } from './tokenizer-files.js';
import type { Vocabulary } from './vocabulary.js';

// The files that make a model directory carry its own tokenizer (the rest are optional companions).
const OWN_TOKENIZER_FILES = ['tokenizer.json', 'vocab.json'];

/** Whether the directory `dir` has tokenizer files of its own; TokenizerLoadError when it is not a directory. */
export async function hasOwnTokenizer(dir: string): Promise<boolean> {
  await checkDirectory(dir, 'forModelDirectory');
  const found = await Promise.all(
    OWN_TOKENIZER_FILES.map((f) =>
      stat(join(dir, f)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return found.includes(true);
}

async function checkDirectory(dir: string, op: string): Promise<void> {
  if (typeof dir !== 'string') throw new TypeError(`${op}: dir must be a path string, got ${typeof dir}`);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new TokenizerLoadError(`${dir}: not a directory`);
}

/**
 * Reads a Hugging Face tokenizer directory of the GPT-2 byte-level BPE family into a Vocabulary (see
 * vocabularyFromTexts). Every file is checked to be a regular file of bounded size before it is read.
 */
export async function loadVocabularyFromDirectory(dir: string): Promise<Vocabulary> {
  await checkDirectory(dir, 'fromDirectory');
  const files: Record<string, string> = {};
  for (const name of TOKENIZER_FILE_NAMES) {
    if (files['tokenizer.json'] !== undefined && (name === 'vocab.json' || name === 'merges.txt')) continue; // unused then
    const text = await readRegularFile(join(dir, name), LIMITS.fileBytes);
    if (text !== undefined) files[name] = text;
  }
  return vocabularyFromTexts(files as TokenizerFiles, (name) => join(dir, name), dir);
}
