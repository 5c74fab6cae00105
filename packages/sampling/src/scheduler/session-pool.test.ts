import { describe, expect, it } from 'vitest';
import { historyLM } from '../test-support/fakes.js';
import { SequencePoolError } from './errors.js';
import { SessionSequencePool } from './session-pool.js';

const V = 16;

describe('SessionSequencePool', () => {
  it('steps any mix of prefill chunks and single tokens; each sequence sees only its own history', async () => {
    const lm = historyLM(V);
    const pool = new SessionSequencePool(lm, { maxSequences: 3 });
    const a = pool.add();
    const b = pool.add();
    let out = await pool.step([
      { id: a, ids: [1, 2, 3] },
      { id: b, ids: [7] },
    ]);
    expect(out).toEqual(Float32Array.from([...lm.logitsFor([1, 2, 3]), ...lm.logitsFor([7])]));
    out = await pool.step([
      { id: b, ids: [8, 9] },
      { id: a, ids: [4] },
    ]);
    expect(out).toEqual(Float32Array.from([...lm.logitsFor([7, 8, 9]), ...lm.logitsFor([1, 2, 3, 4])]));
    expect([pool.length(a), pool.length(b)]).toEqual([4, 3]);
    expect(pool.freeTokens).toBe(3 * lm.maxLength - 32); // whole blocks of 16, as the native pool counts
  });

  it('writes a step into a given out buffer (its start; the rest untouched) and refuses one too small', async () => {
    const lm = historyLM(V);
    const pool = new SessionSequencePool(lm, { maxSequences: 2 });
    const a = pool.add();
    const b = pool.add();
    const out = new Float32Array(3 * V).fill(5);
    const got = await pool.step(
      [
        { id: a, ids: [1, 2] },
        { id: b, ids: [3] },
      ],
      out,
    );
    expect(got.buffer).toBe(out.buffer);
    expect(got).toEqual(Float32Array.from([...lm.logitsFor([1, 2]), ...lm.logitsFor([3])]));
    expect(out.subarray(2 * V).every((v) => v === 5)).toBe(true);
    await expect(
      pool.step(
        [
          { id: a, ids: [4] },
          { id: b, ids: [4] },
        ],
        new Float32Array(2 * V - 1),
      ),
    ).rejects.toThrow(/out must be a Float32Array of at least 2 x 16 floats/);
    expect([pool.length(a), pool.length(b)]).toEqual([2, 1]);
  });

  it('fork holds a copy of the parent: both continue independently, as if each had been run alone', async () => {
    const lm = historyLM(V);
    const pool = new SessionSequencePool(lm, { maxSequences: 3 });
    const a = pool.add();
    await pool.step([{ id: a, ids: [1, 2] }]);
    await pool.step([{ id: a, ids: [3] }]);
    const b = pool.fork(a);
    expect(pool.length(b)).toBe(3);
    const out = await pool.step([
      { id: a, ids: [4] },
      { id: b, ids: [5] },
    ]);
    expect(out).toEqual(Float32Array.from([...lm.logitsFor([1, 2, 3, 4]), ...lm.logitsFor([1, 2, 3, 5])]));
    const c = pool.fork(b);
    expect(await pool.step([{ id: c, ids: [6] }])).toEqual(lm.logitsFor([1, 2, 3, 5, 6]));
  });

  it('remove frees the sequence and its slot; every misuse is a SequencePoolError naming what was wrong', async () => {
    const lm = historyLM(V);
    const pool = new SessionSequencePool(lm, { maxSequences: 2, maxTokens: 20 }); // rounded up to 2 blocks
    const a = pool.add();
    const b = pool.add();
    expect(() => pool.add()).toThrow(/all 2 are in use/);
    await pool.step([{ id: a, ids: [1, 2, 3] }]);
    expect(pool.freeTokens).toBe(16);
    await expect(pool.step([{ id: b, ids: Array.from({ length: 17 }, () => 1) }])).rejects.toThrow(/needs 32 more positions .*only 16 free/);
    pool.remove(a);
    expect(pool.freeTokens).toBe(32);
    expect(lm.sessions[0]!.disposed).toBe(true);
    expect(() => pool.remove(a)).toThrow(/remove: no sequence 0/);
    await expect(pool.step([{ id: a, ids: [1] }])).rejects.toThrow(/step: no sequence 0/);
    await expect(
      pool.step([
        { id: b, ids: [1] },
        { id: b, ids: [2] },
      ]),
    ).rejects.toThrow(/appears twice/);
    await expect(pool.step([{ id: b, ids: [] }])).rejects.toThrow(/has no ids/);
    await expect(pool.step([{ id: b, ids: [V] }])).rejects.toThrow(/not a token id/);
    await expect(pool.step([{ id: b, ids: [1.5] }])).rejects.toBeInstanceOf(SequencePoolError);
    const first = pool.step([{ id: b, ids: [1] }]);
    await expect(pool.step([{ id: b, ids: [2] }])).rejects.toThrow(/previous step/);
    await first;
    pool.dispose();
    expect(lm.sessions.every((s) => s.disposed)).toBe(true);
    expect(() => pool.add()).toThrow(/disposed/);
    expect(pool.freeTokens).toBe(0);
    expect(() => new SessionSequencePool(lm, { maxSequences: 0 })).toThrow(SequencePoolError);
  });
});
