// Runs a built example (dist/NAME.js) as its header comment says users run it, and returns what it printed.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

export async function runExample(name: string, args: string[] = []): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [`${dist}${name}.js`, ...args], { timeout: 50_000 });
  return stdout;
}

/** The text after `label: ` on the line that starts with it. */
export function field(stdout: string, label: string): string {
  const line = stdout.split('\n').find((l) => l.startsWith(`${label}: `));
  if (line === undefined) throw new Error(`no "${label}:" line in:\n${stdout}`);
  return line.slice(label.length + 2);
}
