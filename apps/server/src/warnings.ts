// Warnings from the @gptj libraries (process warnings with a GPTJ_* code, e.g. GPTJ_THREADS_CAPPED) go to the
// server's log, each distinct one once, instead of Node's "(node:PID) Warning" lines on stderr.
import type { FastifyBaseLogger } from 'fastify';

interface CodedWarning extends Error {
  code?: string;
}

function isGptjWarning(warning: CodedWarning): boolean {
  return typeof warning.code === 'string' && warning.code.startsWith('GPTJ_');
}

/** Logs GPTJ_* warnings through `log` (once per code and message); returns the function that stops it. */
export function logGptjWarnings(log: FastifyBaseLogger): () => void {
  const seen = new Set<string>();
  const onWarning = (warning: CodedWarning): void => {
    if (!isGptjWarning(warning)) return;
    const key = `${warning.code}\n${warning.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    log.warn({ code: warning.code }, warning.message);
  };
  process.on('warning', onWarning);
  return () => process.off('warning', onWarning);
}

/** For the gptj-server process: Node's own printer skips GPTJ_* warnings (the app logs them) and prints the rest. */
export function leaveGptjWarningsToTheLog(): void {
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning: CodedWarning) => {
    if (!isGptjWarning(warning)) for (const print of printers) print(warning);
  });
}
