// The scheduler's forward steps and the server's other uses of the model (embeddings, logprob scoring) take turns on
// one FIFO lock: the native runner runs one forward at a time, so an embeddings request gets its own turn between two
// decode steps instead of waiting for every running generation to finish (or running beside one).
import type { CausalLM, LMSession, SequencePool, SequencePoolOptions } from '@gptj/sampling';
import type { Mutex } from './mutex.js';

/** `fn` run while holding `lock`. */
function inTurn<A extends unknown[], R>(lock: Mutex, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    const release = await lock.acquire();
    try {
      return await fn(...args);
    } finally {
      release();
    }
  };
}

/** `target` with `method` replaced by its in-turn version; every other member (getters included) read through. */
function withTurns<T extends object>(target: T, method: keyof T & string, lock: Mutex): T {
  const turned = inTurn(lock, (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target));
  // each method bound once (the scheduler calls pool.length and pool.remove per row): not a new bound function per read
  const bound = new Map<PropertyKey, { fn: unknown; bound: unknown }>();
  return new Proxy(target, {
    get(t, key) {
      if (key === method) return turned;
      const v = Reflect.get(t, key, t) as unknown;
      if (typeof v !== 'function') return v;
      let b = bound.get(key);
      if (b?.fn !== v) bound.set(key, (b = { fn: v, bound: v.bind(t) }));
      return b.bound;
    },
  });
}

/** The model as the scheduler sees it: every session forward and pool step waits for its turn on `lock`. */
export function modelInTurns(model: CausalLM, lock: Mutex): CausalLM {
  const turns: CausalLM = {
    vocabSize: model.vocabSize,
    maxLength: model.maxLength,
    eosTokenId: model.eosTokenId,
    createSession: (batchSize: number): LMSession => withTurns(model.createSession(batchSize), 'forward', lock),
  };
  if (model.createSequencePool) {
    turns.createSequencePool = (options: SequencePoolOptions): SequencePool | undefined => {
      const pool = model.createSequencePool!(options);
      return pool && withTurns(pool, 'step', lock);
    };
  }
  return turns;
}

/** Runs `fn` in its turn on `lock`. */
export function runInTurn<R>(lock: Mutex, fn: () => Promise<R>): Promise<R> {
  return inTurn(lock, fn)();
}
