import { describe, expect, it } from 'vitest';
import { StopStringMatcher } from './stop-strings.js';

/** Feeds pieces and returns [released text per piece..., final flush or 'STOP']. */
function run(stops: string[], pieces: string[]): string[] {
  const m = new StopStringMatcher(stops);
  const out: string[] = [];
  for (const p of pieces) {
    const r = m.push(p);
    out.push(r.text);
    if (r.stopped) return [...out, 'STOP'];
  }
  return [...out, m.flush()];
}

describe('StopStringMatcher', () => {
  it('holds back a possible start and releases it when the stop string does not follow', () => {
    expect(run(['</s>'], ['a<', '/', 'x'])).toEqual(['a', '', '</x', '']);
  });

  it('stops inside one piece and drops everything after', () => {
    expect(run(['END'], ['abcENDxyz'])).toEqual(['abc', 'STOP']);
  });

  it('stops across three pieces', () => {
    expect(run(['\n\n\n'], ['x\n', '\n', '\ny'])).toEqual(['x', '', '', 'STOP']);
  });

  it('the earliest of several stop strings wins; overlapping prefixes are handled', () => {
    expect(run(['bc', 'abcd'], ['ab', 'cd'])).toEqual(['', '', 'STOP']); // 'abcd' starts first
    expect(run(['cd', 'bc'], ['ab', 'cd'])).toEqual(['a', '', 'STOP']); // 'b' was held back, then 'bc' completes
    expect(run(['aab'], ['a', 'a', 'a', 'b'])).toEqual(['', '', 'a', '', 'STOP']);
  });

  it('the held-back tail is returned by flush when the row ends', () => {
    expect(run(['STOP'], ['go ST'])).toEqual(['go ', 'ST']);
  });
});
