// Node prints a process warning as "(node:1234) [CODE] Warning: ..." plus a hint about --trace-warnings. Warnings
// from the @gptj libraries (codes GPTJ_*, e.g. GPTJ_THREADS_CAPPED when --threads exceeds the cores) are meant for
// the user and read like the CLI's errors instead: `gptj: warning: ...`, one line, no stack. Other warnings keep
// Node's own output.

interface CodedWarning extends Error {
  code?: string;
}

/** Installs the printer; returns a function that restores the previous warning listeners. */
export function printGptjWarnings(write: (s: string) => void = (s) => process.stderr.write(s)): () => void {
  const previous = process.listeners('warning');
  process.removeAllListeners('warning');
  const onWarning = (warning: CodedWarning): void => {
    if (typeof warning.code === 'string' && warning.code.startsWith('GPTJ_')) {
      write(`gptj: warning: ${warning.message.replace(/\s*\n\s*/g, ' ').trim()}\n`);
    } else {
      for (const listener of previous) listener(warning);
    }
  };
  process.on('warning', onWarning);
  return () => {
    process.off('warning', onWarning);
    for (const listener of previous) process.on('warning', listener);
  };
}
