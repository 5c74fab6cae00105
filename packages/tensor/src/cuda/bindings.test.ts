// The CUDA addon's bindings check their arguments before asking for the device: a wrong object
// (a plain object, a CPU Storage, a forged prototype) is a TypeError naming the op and argument, not
// an unchecked unwrap, and this holds on machines with no GPU, where the addon still loads. Each
// binding is called with its real arity; the first storage-typed argument is the wrong object.
import { describe, expect, it } from 'vitest';
import { CUDA_ADDON, findAddon } from '../addon-loader.js';
import { cpu } from '../native.js';
import type { CudaAddon } from './addon.js';

const found = findAddon(CUDA_ADDON);
const cuda = found.found ? (found.addon as CudaAddon) : undefined;

// Valid non-storage arguments for each binding, in order (the argument order of addon.ts), with `W`
// where a device storage goes.
const W = Symbol('wrong object');
const calls: [string, unknown[], string][] = [
  ['linear', [W, W, 1, null, W, 2, 4, 3], 'x'],
  ['matmul', [W, W, W, [2], [1], [0], 2, 2, 2], 'a'],
  ['binary', [0, W, W, W, [4], [1], [1]], 'a'],
  ['stridedCopy', [W, W, 4, [2], [1], 0, [1], 0], 'src'],
  ['scale', [W, W, 4, 0.5], 'x'],
  ['layerNorm', [W, W, 0, W, 0, W, 2, 4, 1e-5], 'x'],
  ['gelu', [W, W, 4, true], 'x'],
  ['softmax', [W, W, 2, 4], 'x'],
  ['rotary', [W, W, W, 1, 2, 1, 4, 4, true, 10000], 'x'],
  ['attention', [W, W, W, null, W, 1, 1, 1, 4, 4, 1, 0.5], 'q'],
  ['embedding', [W, 0, 8, 4, W, 2, W], 'table'],
  ['cast', [W, 0, W, 1, 2, 4], 'x'],
  ['quantizeQ8', [W, 0, 2, 4, W], 'x'],
  ['dequantizeQ8', [W, 2, 4, W, 0], 'q'],
  ['argmax', [W, 2, 4, W], 'x'],
  ['topk', [W, 2, 4, 2, W, W], 'x'],
  ['fillRandom', [W, 1, 2, 4, 1, 0.1], 'storage'],
  ['readBandwidth', [W, 64, 1], 'storage'],
];

describe.skipIf(!cuda)('cuda bindings refuse wrong objects before any device call', () => {
  const cpuStorage = new cpu.Storage(1 << 12, true);
  const wrongs: [string, unknown][] = [
    ['a plain object', {}],
    ['a CPU Storage', cpuStorage],
    ['an object forged from a CPU Storage', Object.create(Object.getPrototypeOf(cpuStorage))],
    ['a number', 7],
  ];
  for (const [op, args, first] of calls) {
    it.each(wrongs)(`${op} given %s`, (_, wrong) => {
      const fn = (cuda as unknown as Record<string, (...a: unknown[]) => unknown>)[op];
      expect(() => fn(...args.map((a) => (a === W ? wrong : a)))).toThrow(TypeError);
      expect(() => fn(...args.map((a) => (a === W ? wrong : a)))).toThrow(`${op}: ${first} must be a DeviceStorage`);
    });
  }

  it('a bad dim is a TypeError/RangeError before the storage or device is looked at', () => {
    expect(() => cuda!.scale({} as never, {} as never, -1, 1)).toThrow(RangeError);
    expect(() => cuda!.linear({} as never, {} as never, 4, null, {} as never, 1, 1, 1)).toThrow(/linear: unsupported weight dtype code 4/);
    expect(() => (cuda!.scale as (...a: unknown[]) => void)()).toThrow(/scale: n must be a number/);
    // dims whose products overflow 64-bit integers are caught before any offset is computed
    expect(() => cuda!.matmul({} as never, {} as never, {} as never, [2], [2 ** 40], [0], 2 ** 20, 2 ** 20, 1)).toThrow(RangeError);
    expect(() => cuda!.matmul({} as never, {} as never, {} as never, [], [], [], 2 ** 40, 2 ** 40, 2 ** 40)).toThrow(RangeError);
  });

  it('runner and session constructors check their objects the same way', () => {
    const config = {
      vocabSize: 8,
      nEmbd: 4,
      nLayer: 1,
      nHead: 1,
      nInner: 8,
      rotaryDim: 2,
      layerNormEpsilon: 1e-5,
      weightDtype: 1,
      lnDtype: 0,
      wteDtype: 1,
    };
    expect(() => new cuda!.GPTJRunner(config, { wte: cpuStorage } as never)).toThrow('GPTJRunner: weights.wte must be a DeviceStorage');
    expect(() => new cuda!.GPTJSession(cpuStorage as never, 1, 8)).toThrow('GPTJSession: runner must be a GPTJRunner');
    expect(() => new cuda!.GPTJSession({} as never, 1, 8)).toThrow(TypeError);
  });
});
