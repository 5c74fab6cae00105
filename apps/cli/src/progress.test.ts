import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.js';

/** A stream that records what is written; `isTTY` decides whether it looks like a terminal. */
function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  let out = '';
  const s = new Writable({
    write(chunk, _enc, done) {
      out += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(s, { isTTY, columns: 100, text: () => out });
  return s;
}

describe('progress bars', () => {
  it('draw nothing when stderr is not a terminal', () => {
    const stream = fakeStream(false);
    const p = createProgress(stream);
    p.update('load', 1, 2, 'model.safetensors');
    p.stop();
    expect(stream.text()).toBe('');
  });

  it('on a terminal, show the phase, bytes for downloads, and the file', () => {
    const stream = fakeStream(true);
    const p = createProgress(stream);
    p.update('download', 512 * 1024, 2 * 1024 * 1024, 'model.safetensors');
    p.update('download', 1024 * 1024, 2 * 1024 * 1024, 'model.safetensors');
    p.update('eval', 3, 4);
    p.stop();
    const text = stream.text();
    expect(text).toContain('download');
    expect(text).toContain('1.0 MiB/2.0 MiB');
    expect(text).toContain('model.safetensors');
    expect(text).toContain('3/4'); // eval counts examples, not bytes
    expect(text).toContain('75%');
  });

  it('count converted tensor elements as elements, not bytes', () => {
    const stream = fakeStream(true);
    const p = createProgress(stream);
    p.update('convert', 1_500_000, 6_000_000_000, 'transformer.h.0.mlp.fc_in.weight');
    p.stop();
    expect(stream.text()).toContain('1.5M/6.0G elements');
    expect(stream.text()).not.toContain('MiB');
  });
});
