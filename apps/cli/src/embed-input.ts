// What `gptj embed` embeds: the text arguments, else the lines of a JSONL file (each a JSON string,
// {"text": "..."} or {"ids": [token ids]}), else all of stdin as one text.
import { readFile } from 'node:fs/promises';
import { CliError, UsageError } from './errors.js';
import { parseJsonLine, readStdin } from './io.js';

export async function readEmbedInputs(texts: string[], file: string | undefined): Promise<(string | number[])[]> {
  if (texts.length > 0 && file !== undefined) throw new UsageError('give the texts as arguments or with --file, not both');
  if (texts.length > 0) return texts;
  if (file === undefined) return [await readStdin('text')];
  return parseEmbedJsonl(await readFile(file, 'utf8'), file);
}

/** The inputs of a JSONL text read from `file` (named in errors). */
export function parseEmbedJsonl(text: string, file: string): (string | number[])[] {
  const inputs: (string | number[])[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    inputs.push(toInput(parseJsonLine(line, file, i + 1), `${file}:${i + 1}`));
  }
  if (inputs.length === 0) throw new CliError(`${file}: no inputs`);
  return inputs;
}

function toInput(value: unknown, where: string): string | number[] {
  if (typeof value === 'string') return value;
  const v = value as { text?: unknown; ids?: unknown } | null;
  if (typeof v?.text === 'string') return v.text;
  if (Array.isArray(v?.ids) && v.ids.every((id) => Number.isInteger(id))) return v.ids as number[];
  throw new CliError(`${where}: expected a JSON string, {"text": string} or {"ids": [integer token ids]}`);
}
