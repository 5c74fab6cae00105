// Starts test-support/serve.mjs in a child process and waits for its port.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface ChildServer {
  child: ChildProcess;
  port: number;
  base: string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
  /** Everything the process wrote to stderr so far (its log). */
  stderr: () => string;
}

const SCRIPT = new URL('./serve.mjs', import.meta.url);

export async function childServer(opts: { server?: Record<string, unknown>; deadlineMs?: number; port?: number } = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, [SCRIPT.pathname, JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  const lines = createInterface({ input: child.stdout! });
  const first = await Promise.race([
    once(lines, 'line').then(([l]) => l as string),
    exited.then((c) => {
      throw new Error(`server exited (${c}) before listening: ${log}`);
    }),
  ]);
  const { port } = JSON.parse(first) as { port: number };
  return { child, port, base: `http://127.0.0.1:${port}`, exited, stderr: () => log };
}
