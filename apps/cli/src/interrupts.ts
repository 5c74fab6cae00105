// What must happen when the user interrupts a command (Ctrl-C: SIGINT, or SIGTERM): show the cursor a progress bar
// hid, remove half-written output, print what a command has so far. Handlers are installed only while some
// cleanup is registered, so commands with their own Ctrl-C behaviour (generate stops the sampling) keep it.
import { ExitCode } from './errors.js';

type Cleanup = (signal: NodeJS.Signals) => void;

const cleanups = new Set<Cleanup>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
// Conventional exit status of a process ended by a signal: 128 + its number.
const EXIT_CODE: Record<(typeof SIGNALS)[number], number> = { SIGINT: ExitCode.interrupted, SIGTERM: 143 };

function onSignal(signal: (typeof SIGNALS)[number]): void {
  // newest first: a command's cleanup may rely on state set up before it
  for (const c of [...cleanups].reverse()) {
    try {
      c(signal);
    } catch {
      // one failed cleanup must not keep the others from running
    }
  }
  process.exit(EXIT_CODE[signal]);
}

/** Runs `cleanup` if the process is interrupted before the returned function is called (which unregisters it). */
export function onInterrupt(cleanup: Cleanup): () => void {
  if (cleanups.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
  cleanups.add(cleanup);
  return () => {
    if (!cleanups.delete(cleanup) || cleanups.size > 0) return;
    for (const s of SIGNALS) process.off(s, onSignal);
  };
}
