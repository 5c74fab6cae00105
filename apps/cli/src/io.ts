// Reading input and writing output the way the commands share: text from an argument, a file or piped stdin;
// results to stdout, human notes to stderr.
import { readFile } from 'node:fs/promises';
import { CliError, UsageError } from './errors.js';

/** All of stdin as UTF-8 text; an error when stdin is a terminal (nothing was piped in). */
export async function readStdin(what: string): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError(`no ${what} given: pass it as an argument or pipe it on stdin`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Text from the positional argument, else --file, else stdin. */
export async function readTextInput(arg: string | undefined, file: string | undefined, what: string): Promise<string> {
  if (arg !== undefined && file !== undefined) throw new UsageError(`give the ${what} as an argument or with --file, not both`);
  if (arg !== undefined) return arg;
  if (file !== undefined) return readFile(file, 'utf8');
  return readStdin(what);
}

/** Writes to stdout and waits until it has been handed to the OS (so piping into `head` and exiting is safe). */
export function writeOut(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

export function writeErr(text: string): void {
  process.stderr.write(text);
}

/** Parses one JSON line of a JSONL file, naming the file and line on failure. */
export function parseJsonLine(line: string, file: string, lineNo: number): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    throw new CliError(`${file}:${lineNo}: invalid JSON (${(err as Error).message})`);
  }
}
