import { describe, expect, it } from 'vitest';
import { printGptjWarnings } from './warnings.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('printGptjWarnings', () => {
  it('prints GPTJ_* warnings as one gptj: warning: line and hands others to the previous listeners', async () => {
    const lines: string[] = [];
    const others: string[] = [];
    const previous = (w: Error) => void others.push(w.message);
    process.on('warning', previous);
    const restore = printGptjWarnings((s) => lines.push(s));
    try {
      process.emitWarning('requested 64 threads,\n  capped to 2 (the cores)', { code: 'GPTJ_THREADS_CAPPED' });
      process.emitWarning('something else', { code: 'DEP0000' });
      await tick();
    } finally {
      restore();
      process.off('warning', previous);
    }
    expect(lines).toEqual(['gptj: warning: requested 64 threads, capped to 2 (the cores)\n']);
    expect(others).toEqual(['something else']);
  });

  it('restores the previous listeners', () => {
    const before = process.listeners('warning');
    printGptjWarnings(() => {})();
    expect(process.listeners('warning')).toEqual(before);
  });
});
