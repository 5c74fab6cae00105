// The part of the vitest API the CUDA test files use, over node:test and node:assert. The lent GPU
// machine has no node_modules and the carry limit leaves no room for vitest + vite + rolldown, so
// tools/gpu-check.sh compiles packages/tensor/src/cuda/*.test.ts and packages/model/src/cuda.test.ts
// to JS and resolves 'vitest' to this file there. CI and development machines run the same files under the real vitest.
import assert from 'node:assert/strict';
import { after, before, describe as nodeDescribe, it as nodeIt } from 'node:test';

/** vitest's title formatting: %s/%i/%d/%f for array rows, $key for object rows. */
function title(name, args) {
  if (args.length === 1 && args[0] !== null && typeof args[0] === 'object' && !Array.isArray(args[0]))
    return name.replace(/\$(\w+)/g, (_, k) => String(args[0][k]));
  let i = 0;
  return name.replace(/%[sidfj]/g, () => String(args[i++]));
}

function withEach(register) {
  const f = (name, fn) => register(name, {}, fn);
  f.skipIf = (cond) => (name, fn) => register(name, { skip: Boolean(cond) }, fn);
  f.each = (table) => (name, fn) => {
    for (const row of table) {
      const args = Array.isArray(row) ? row : [row];
      register(title(name, args), {}, () => fn(...args));
    }
  };
  return f;
}

export const describe = withEach((name, opts, fn) => nodeDescribe(name, opts, fn));
export const it = withEach((name, opts, fn) => nodeIt(name, opts, fn));
export const test = it;
export const beforeAll = (fn) => before(fn);
export const afterAll = (fn) => after(fn);

function thrownMatches(error, want) {
  assert.ok(error !== undefined, 'expected a throw (or a rejection)');
  if (typeof want === 'function') assert.ok(error instanceof want, `expected ${want.name}, got ${error}`);
  else if (typeof want === 'string') assert.ok(String(error?.message).includes(want), `"${error?.message}" lacks "${want}"`);
  else if (want instanceof RegExp) assert.match(String(error?.message), want);
}

export function expect(actual) {
  return {
    toBe: (want) => assert.ok(Object.is(actual, want), `expected ${String(actual)} to be ${String(want)}`),
    toEqual: (want) => assert.deepStrictEqual(actual, want),
    toBeLessThan: (n) => assert.ok(actual < n, `expected ${actual} < ${n}`),
    toBeLessThanOrEqual: (n) => assert.ok(actual <= n, `expected ${actual} <= ${n}`),
    toBeGreaterThan: (n) => assert.ok(actual > n, `expected ${actual} > ${n}`),
    toBeUndefined: () => assert.strictEqual(actual, undefined),
    toBeInstanceOf: (cls) => assert.ok(actual instanceof cls, `expected an instance of ${cls.name}, got ${String(actual)}`),
    toMatch: (re) => assert.match(String(actual), typeof re === 'string' ? new RegExp(re.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : re),
    toThrow: (want) => {
      let error;
      try {
        actual();
      } catch (e) {
        error = e;
      }
      thrownMatches(error, want);
    },
    rejects: {
      toThrow: async (want) => {
        let error;
        try {
          await actual;
        } catch (e) {
          error = e;
        }
        thrownMatches(error, want);
      },
    },
  };
}

const stubbed = new Map();
export const vi = {
  stubEnv(key, value) {
    if (!stubbed.has(key)) stubbed.set(key, process.env[key]);
    process.env[key] = value;
  },
  unstubAllEnvs() {
    for (const [k, v] of stubbed)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    stubbed.clear();
  },
  resetModules() {}, // ESM modules cannot be unloaded here; only the unavailable-CUDA file relies on it
};
