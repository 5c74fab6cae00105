// Test helper (not built into dist): the GPT-J tokenizer directory of the shared fixtures, as text.
import { readFileSync } from 'node:fs';
import { fixturePath } from '@gptj/test-fixtures';

export const FIXTURE_FILE_NAMES = ['vocab.json', 'merges.txt', 'added_tokens.json', 'special_tokens_map.json', 'tokenizer_config.json'] as const;
export type FixtureFiles = Record<(typeof FIXTURE_FILE_NAMES)[number], string>;

/** vocab.json, merges.txt, added_tokens.json, special_tokens_map.json, tokenizer_config.json of tools/fixtures/data/gpt2-tokenizer. */
export const fixtureFiles: FixtureFiles = Object.fromEntries(
  FIXTURE_FILE_NAMES.map((n) => [n, readFileSync(fixturePath('gpt2-tokenizer', n), 'utf8')]),
) as FixtureFiles;

/** The merges of merges.txt, one "left right" line each, in rank order. */
export const fixtureMergeLines: readonly string[] = fixtureFiles['merges.txt'].split('\n').filter((l, i) => l !== '' && !(i === 0 && l.startsWith('#version')));

/** text with each lone surrogate replaced by U+FFFD, as TextEncoder (and so encode) treats it. */
export const wellFormed = (text: string) => text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
