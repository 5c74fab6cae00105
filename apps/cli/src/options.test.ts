import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { collect, idList, integer, maskList, nonEmpty, real } from './options.js';

describe('flag value parsers', () => {
  it('integer accepts decimal integers in range and rejects everything else', () => {
    const p = integer(1);
    expect(p('48')).toBe(48);
    for (const bad of ['abc', '', '1.5', '0', '-3', '0x10', '1e400']) expect(() => p(bad), bad).toThrow(InvalidArgumentError);
    expect(() => integer(0, 10)('11')).toThrow('must be in [0, 10]');
    // found by the argv fuzz target: too large used to say "must be >= 1"
    expect(() => p('9007199254740993')).toThrow('must be at most 9007199254740991 (2^53 - 1)');
  });

  it('nonEmpty refuses the empty string (found by the argv fuzz target: --stop "" reached the library)', () => {
    expect(nonEmpty(' ')).toBe(' ');
    expect(() => nonEmpty('')).toThrow('must not be empty');
  });

  it('real checks open and closed bounds', () => {
    const topP = real(0, 1, true);
    expect(topP('1')).toBe(1);
    expect(topP('.5')).toBe(0.5);
    expect(() => topP('0')).toThrow('must be in (0, 1]');
    expect(() => topP('2')).toThrow('must be in (0, 1]');
    expect(() => real(0, Infinity)('-1')).toThrow('must be in [0, inf)');
    expect(() => real(0, Infinity)('NaN')).toThrow('not a number');
  });

  it('idList and maskList parse comma-separated rows', () => {
    expect(idList('1, 2,3')).toEqual([1, 2, 3]);
    expect(() => idList('1,,2')).toThrow(InvalidArgumentError);
    expect(() => idList('-1')).toThrow(InvalidArgumentError);
    expect(maskList('0,1,1')).toEqual([0, 1, 1]);
    expect(() => maskList('0,2')).toThrow(InvalidArgumentError);
  });

  it('collect accumulates repeated flags', () => {
    const c = collect(idList);
    expect(c('3,4', c('1,2', undefined))).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});
