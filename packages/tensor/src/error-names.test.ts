// Each typed error is named after its class (the CLI prints `name: message`); TensorError sets the name
// once for every subclass.
import { expect, it } from 'vitest';
import { NativeAddonUnavailable } from './addon-unavailable.js';
import { DTypeError, DeviceError, DisposedError, IndexError, MappedFileError, NonFiniteError, ShapeError, TensorError } from './errors.js';

it('names every error after its class', () => {
  const platform = { os: 'linux', arch: 'x64', libc: 'glibc', napiVersion: 8 } as const;
  const named: [TensorError, string][] = [
    [new TensorError('m'), 'TensorError'],
    [new ShapeError('m'), 'ShapeError'],
    [new DTypeError('m'), 'DTypeError'],
    [new DeviceError('m'), 'DeviceError'],
    [new DisposedError('m'), 'DisposedError'],
    [new IndexError('m'), 'IndexError'],
    [new NonFiniteError('op', 0, 0, NaN), 'NonFiniteError'],
    [new MappedFileError('m', '/f'), 'MappedFileError'],
    [new NativeAddonUnavailable(platform, [], 'build'), 'NativeAddonUnavailable'],
  ];
  for (const [e, name] of named) {
    expect(e).toBeInstanceOf(TensorError);
    expect(e.name).toBe(name);
    expect(String(e)).toMatch(new RegExp(`^${name}: `));
  }
});
