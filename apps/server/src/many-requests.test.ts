// More requests in flight than Node's default listener limit (10): each generation listens on the engine's shutdown
// signal while it runs, so 16 at once must not print MaxListenersExceededWarning (a leak warning on a healthy server).
import { afterEach, describe, expect, it } from 'vitest';
import { useListening } from './test-support/listening.js';

const server = useListening({ parallel: 16 });

describe('many concurrent requests', () => {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  afterEach(() => {
    process.off('warning', onWarning);
  });

  it('16 streams at once raise no listener-leak warning', async () => {
    process.on('warning', onWarning);
    const texts = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const stream = await server.client.completions.create({
          model: 'gptj-mini-code',
          prompt: `def f${i}(x):`,
          max_tokens: 8,
          temperature: 0,
          stream: true,
        });
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
        return text;
      }),
    );
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    expect(texts.every((t) => t.length > 0)).toBe(true);
    expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
  }, 60_000);
});
