// The JSONL files `gptj eval` scores, told apart by their fields: LAMBADA-style {context, continuation} pairs,
// or multiple-choice {context, choices, label} items (label: the index of the right choice). Every line of a
// file must be of the same kind; the error names the file and line.
import { readFile } from 'node:fs/promises';
import { CliError } from './errors.js';
import { parseJsonLine } from './io.js';

export interface Pair {
  context: string;
  continuation: string;
}

export interface ChoiceItem {
  context: string;
  choices: string[];
  label: number;
}

export type EvalData = { kind: 'pairs'; pairs: Pair[] } | { kind: 'choices'; items: ChoiceItem[] };

const PAIR_SHAPE = '{"context": string, "continuation": non-empty string}';
const CHOICE_SHAPE = '{"context": string, "choices": [at least 2 non-empty strings], "label": index of the right choice}';

export async function readEvalFile(file: string, limit = Infinity): Promise<EvalData> {
  return parseEvalData(await readFile(file, 'utf8'), file, limit);
}

/** The examples of a JSONL text read from `file` (named in errors), at most `limit` of them. */
export function parseEvalData(text: string, file: string, limit = Infinity): EvalData {
  const lines = text.split('\n');
  const pairs: Pair[] = [];
  const items: ChoiceItem[] = [];
  let kind: EvalData['kind'] | null = null;
  for (const [i, line] of lines.entries()) {
    if (pairs.length + items.length >= limit) break;
    if (line.trim() === '') continue;
    const where = `${file}:${i + 1}`;
    const value = parseJsonLine(line, file, i + 1) as Record<string, unknown> | null;
    const lineKind = value !== null && typeof value === 'object' && 'choices' in value ? 'choices' : 'pairs';
    if (kind !== null && lineKind !== kind) {
      throw new CliError(
        `${where}: a ${lineKind === 'choices' ? 'multiple-choice item' : 'context/continuation pair'} in a file of ${kind === 'choices' ? 'multiple-choice items' : 'context/continuation pairs'}`,
      );
    }
    kind = lineKind;
    if (lineKind === 'pairs') pairs.push(toPair(value, where));
    else items.push(toChoiceItem(value as Record<string, unknown>, where));
  }
  if (kind === null) throw new CliError(`${file}: no examples`);
  return kind === 'pairs' ? { kind, pairs } : { kind, items };
}

function toPair(value: Record<string, unknown> | null, where: string): Pair {
  if (typeof value?.context !== 'string' || typeof value.continuation !== 'string' || value.continuation === '') {
    throw new CliError(`${where}: expected ${PAIR_SHAPE}`);
  }
  return { context: value.context, continuation: value.continuation };
}

function toChoiceItem(value: Record<string, unknown>, where: string): ChoiceItem {
  const { context, choices, label } = value;
  if (typeof context !== 'string' || !Array.isArray(choices) || choices.length < 2 || choices.some((c) => typeof c !== 'string' || c === '')) {
    throw new CliError(`${where}: expected ${CHOICE_SHAPE}`);
  }
  if (!Number.isInteger(label) || (label as number) < 0 || (label as number) >= choices.length) {
    throw new CliError(`${where}: label must be an integer index into the ${choices.length} choices, got ${JSON.stringify(label) ?? 'nothing'}`);
  }
  return { context, choices: choices as string[], label: label as number };
}
