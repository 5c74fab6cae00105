// startServer: everything the gptj-server binary and `gptj serve` do to serve a model: the log format for where it
// goes, threads, the model (a hub id downloaded at its revision into the cache, a path never sent to the hub), load
// and download progress on the terminal, listening, and graceful shutdown on SIGTERM / SIGINT.
import { availableParallelism } from 'node:os';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import pretty from 'pino-pretty';
import type { EngineOptions } from './engine.js';
import { leaveGptjWarningsToTheLog } from './warnings.js';

export interface StartOptions extends Omit<EngineOptions, 'onProgress'> {
  host?: string;
  port?: number;
  /** CPU threads for the kernels (1..1024; default: all cores), set before the first kernel runs. */
  threads?: number;
  /** Log lines: 'pretty' (readable, coloured) or 'json' (one object per line). Default: pretty on a terminal. */
  logFormat?: 'pretty' | 'json';
  /** Download / load progress; default: a line redrawn on a terminal's stderr, nothing otherwise. */
  onProgress?: EngineOptions['onProgress'] & { end?: () => void };
  /** Install SIGTERM / SIGINT handlers that drain requests before exiting (default true). */
  handleSignals?: boolean;
}

export interface Started {
  app: FastifyInstance;
  /** http://HOST:PORT */
  address: string;
}

/** Starts serving; model and option errors are thrown before the port is taken. */
export async function startServer(opts: StartOptions = {}): Promise<Started> {
  const { host = '127.0.0.1', port = 8080, threads, logFormat, onProgress, handleSignals = true, ...engine } = opts;
  const capped = threads === undefined ? null : useThreads(threads);
  leaveGptjWarningsToTheLog();
  // imported here, so that the threads are set before the native tensor addon runs anything
  const [{ createServer }, { installGracefulShutdown }] = await Promise.all([import('./server.js'), import('./shutdown.js')]);
  const progress = onProgress ?? terminalProgress(process.stderr);
  let app: FastifyInstance;
  try {
    app = await createServer({ ...engine, onProgress: progress, logger: loggerFor(logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json')) });
  } finally {
    progress.end?.();
  }
  // logged here: the app's log did not exist yet when the threads were set
  if (capped) app.log.warn({ code: 'GPTJ_THREADS_CAPPED' }, capped);
  const address = await app.listen({ port, host });
  if (handleSignals) installGracefulShutdown(app);
  return { app, address };
}

/**
 * The kernels' thread count: the native pool reads $GPTJ_THREADS when it first runs (and caps it at the cores).
 * Returns the warning to log when `threads` is above the cores.
 */
function useThreads(threads: number): string | null {
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 1024)) throw new RangeError(`threads must be an integer in [1, 1024], got ${String(threads)}`);
  const cores = availableParallelism();
  process.env.GPTJ_THREADS = String(Math.min(threads, cores));
  return threads > cores ? `threads ${threads} is more than the ${cores} available cores; using ${cores}` : null;
}

function loggerFor(format: 'pretty' | 'json'): FastifyServerOptions['logger'] {
  if (format === 'json') return { level: 'info' };
  // in-process (no worker thread), so lines keep their order with the process' own output
  return { level: 'info', stream: pretty({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }) };
}

type ProgressLine = NonNullable<EngineOptions['onProgress']> & { end?: () => void };

/** One line on a terminal, redrawn as bytes arrive: "download model.safetensors 41% (12.3 of 30.0 MiB)". */
export function terminalProgress(stream: NodeJS.WriteStream): ProgressLine {
  if (!stream.isTTY) return () => {};
  let last = 0;
  const line: ProgressLine = (p) => {
    const now = performance.now();
    if (now - last < 100 && p.done < p.total) return;
    last = now;
    const mib = (n: number) => (n / 2 ** 20).toFixed(1);
    const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
    stream.write(`\r\x1b[K${p.phase} ${p.file ?? ''} ${pct}% (${mib(p.done)} of ${mib(p.total)} MiB)`);
  };
  line.end = () => stream.write('\r\x1b[K');
  return line;
}
