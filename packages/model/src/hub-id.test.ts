import { describe, expect, it } from 'vitest';
import { isHubId } from './hub-id.js';

describe('isHubId: what is sent to the hub', () => {
  it.each(['EleutherAI/gpt-j-6b', 'org/name.v2', 'a-b/c_d'])('%s is a hub id', (id) => expect(isHubId(id)).toBe(true));

  it.each(['./nope', '../nope', './a/b', '~/models', '/abs/x', 'no-slash', 'a/b/c', '.', '..', '.cache/models', 'a/.b', '-x/y', '_x/y'])(
    '%s looks like a path: never a hub id',
    (p) => {
      expect(isHubId(p)).toBe(false);
    },
  );
});
