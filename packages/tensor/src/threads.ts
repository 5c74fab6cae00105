// The size of the native kernel thread pool (native/cpu/threadpool.cpp), capped at the cores this process
// may run on: threads beyond them only wait for one another (measured on a 2-core host: 4 threads made a
// decode step 3.5x slower than 1 with the first pool, 1024 threads 25x).
import { availableParallelism } from 'node:os';
import { TensorError } from './errors.js';
import { cpu } from './native.js';

/** Warning code of a thread count lowered to the available cores (setNumThreads, $GPTJ_THREADS). */
export const THREADS_CAPPED = 'GPTJ_THREADS_CAPPED';

function warnCapped(what: string, n: number, cores: number): void {
  process.emitWarning(`${what} asks for ${n} threads but this process may run on ${cores} cores (CPU affinity); using ${cores}`, { code: THREADS_CAPPED });
}

/**
 * Threads of the CPU kernels, an integer in [1, 1024]; more than the available cores
 * (os.availableParallelism(), which follows the CPU affinity) is lowered to them with a
 * GPTJ_THREADS_CAPPED process warning.
 */
export function setNumThreads(n: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1024)
    throw new TensorError(`setNumThreads: n must be an integer in [1, 1024], got ${String(n)}`);
  const cores = availableParallelism();
  if (n > cores) warnCapped('setNumThreads', n, cores);
  cpu.setNumThreads(Math.min(n, cores));
}

export function getNumThreads(): number {
  return cpu.numThreads();
}

// The addon caps $GPTJ_THREADS itself (its default); say so once, when the package loads.
const fromEnv = Number(process.env.GPTJ_THREADS);
if (Number.isInteger(fromEnv) && fromEnv > availableParallelism() && fromEnv <= 1024) warnCapped('GPTJ_THREADS', fromEnv, availableParallelism());
