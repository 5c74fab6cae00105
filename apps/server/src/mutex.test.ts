import { describe, expect, it } from 'vitest';
import { Mutex } from './mutex.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('Mutex', () => {
  it('lets one holder in at a time, in arrival order', async () => {
    const mutex = new Mutex();
    const log: string[] = [];
    let inside = 0;
    const job = async (name: string) => {
      const release = await mutex.acquire();
      inside += 1;
      expect(inside).toBe(1);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      inside -= 1;
      release();
    };
    await Promise.all([job('a'), job('b'), job('c')]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('ignores a second release', async () => {
    const mutex = new Mutex();
    const first = await mutex.acquire();
    const second = mutex.acquire();
    first();
    const release2 = await second;
    first(); // must not let a third holder in while the second holds the lock
    let thirdIn = false;
    const third = mutex.acquire().then((r) => {
      thirdIn = true;
      r();
    });
    await tick();
    expect(thirdIn).toBe(false);
    release2();
    await third;
    expect(thirdIn).toBe(true);
  });
});
