// Addon exceptions become TensorErrors naming the op once: the addons' own messages already start with it.
import { describe, expect, it } from 'vitest';
import { DisposedError, TensorError } from './errors.js';
import { cpu } from './native.js';
import { callNative, nativeError } from './native-errors.js';

describe('native errors name their op once', () => {
  it('a freed storage passed to the addon: "cast: x was disposed", not "cast: cast: ..."', () => {
    const x = new cpu.Storage(16, true);
    const out = new cpu.Storage(8, true);
    x.free();
    const run = () => callNative('cast', () => cpu.cast(x, 0, out, 1, 1, 4));
    expect(run).toThrow(DisposedError);
    expect(run).toThrow(/^cast: x was disposed$/);
  });

  it('an async op under the name of its kernel: "linear: ...", not "linearAsync: linear: ..."', () => {
    const s = new cpu.Storage(8, true);
    expect(() => callNative('linearAsync', () => cpu.linear(s, s, 128, null, s, 1, 1, 1, true))).toThrow(
      /^linear: wDtype must be an integer in \[0, 5\], got 128/,
    );
  });

  it.each([
    ['CpuGPTJSession.step', 'CpuGPTJSession: the runner was disposed', 'CpuGPTJSession: the runner was disposed'],
    ['matmul', 'std::bad_alloc', 'matmul: std::bad_alloc'],
    ['cast', 'castle: other', 'cast: castle: other'],
  ])('%s + "%s" -> "%s"', (op, message, want) => {
    const e = nativeError(op, new Error(message));
    expect(e).toBeInstanceOf(TensorError);
    expect(e.message).toBe(want);
  });
});
