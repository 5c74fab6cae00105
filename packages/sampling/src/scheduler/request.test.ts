// RequestStream, the consumer side of a scheduled request: buffered events in order, a waiting consumer woken by
// push / end / fail, a failure thrown once, and a consumer's break (return) cancelling the request once.
import { describe, expect, it } from 'vitest';
import type { GenerationEvent } from '../events.js';
import { RequestStream, type ScheduledResult } from './request.js';

const token = (id: number): GenerationEvent => ({ type: 'token', row: 0, id, text: String(id) });
const summary = {} as ScheduledResult;

describe('RequestStream', () => {
  it('hands out buffered and later events in order, then ends', async () => {
    const s = new RequestStream(() => {});
    s.push([token(1), token(2)]);
    const it = s[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ done: false, value: token(1) });
    expect(await it.next()).toEqual({ done: false, value: token(2) });
    const waiting = it.next(); // nothing buffered: answered by the next push
    s.push([token(3)]);
    s.push([token(4)]);
    expect(await waiting).toEqual({ done: false, value: token(3) });
    const rest = it.next();
    s.end(summary);
    expect(await rest).toEqual({ done: false, value: token(4) });
    expect(await it.next()).toEqual({ done: true, value: undefined });
    await expect(s.result).resolves.toBe(summary);
  });

  it('throws a failure once, to a waiting or a later next(), then is done', async () => {
    for (const waiting of [true, false]) {
      const s = new RequestStream(() => {});
      const it = s[Symbol.asyncIterator]();
      const first = waiting ? it.next() : null;
      s.fail(new RangeError('step failed'));
      await expect(first ?? it.next()).rejects.toThrow('step failed');
      expect(await it.next()).toEqual({ done: true, value: undefined });
      await expect(s.result).rejects.toThrow('step failed');
    }
  });

  it("a consumer's return() cancels once, ends a waiting next() and drops later events", async () => {
    let cancels = 0;
    const s = new RequestStream(() => cancels++);
    const it = s[Symbol.asyncIterator]();
    const waiting = it.next();
    await it.return!();
    await it.return!();
    expect(await waiting).toEqual({ done: true, value: undefined });
    s.push([token(5)]);
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(cancels).toBe(1);
    expect(s.cancelled).toBe(true);
  });
});
