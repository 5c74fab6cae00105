import { describe, expect, it } from 'vitest';
import { encodePair } from './encode-pair.js';

// A toy encoder: one id per character, except that " x" merges into id 99 (a merge across a word boundary).
const encode = (t: string) => {
  const ids: number[] = [];
  for (let i = 0; i < t.length; i++) {
    if (t[i] === ' ' && t[i + 1] === 'x') ids.push(99), i++;
    else ids.push(t.charCodeAt(i));
  }
  return ids;
};

describe('encodePair (lm-evaluation-harness _encode_pair)', () => {
  it('moves the context trailing whitespace to the continuation, which is the tail of the joint encoding', () => {
    expect(encodePair(encode, 'ab ', 'x', 0)).toEqual({ context: [97, 98], continuation: [99] });
    expect(encodePair(encode, 'ab\n ', 'x', 0)).toEqual({ context: [97, 98], continuation: [10, 99] });
  });

  it('an empty (or all-whitespace) context becomes the end-of-text token', () => {
    expect(encodePair(encode, '', 'a', 7)).toEqual({ context: [7], continuation: [97] });
    expect(encodePair(encode, ' ', 'x', 7)).toEqual({ context: [7], continuation: [99] });
  });
});
