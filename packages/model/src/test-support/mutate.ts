// Mutation helpers for the checkpoint and config fuzz targets: a seed file (real, or written by the project's
// own writers) and a list of edits chosen by fast-check (so failures shrink to few, small edits).
import fc from 'fast-check';
import { existsSync, ftruncateSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { at } from '../at.js';

export interface Edit {
  readonly kind: number;
  readonly at: number;
  readonly len: number;
  readonly value: number;
}

/** Up to `max` edits of a seed. */
export const edits = (max = 6): fc.Arbitrary<Edit[]> =>
  fc.array(fc.record({ kind: fc.nat(), at: fc.nat(), len: fc.nat({ max: 300 }), value: fc.nat() }), { maxLength: max });

/** Numbers that break readers, as JSON text: signs, 2^31/2^32/2^53/2^64 edges, non-integers, overflow to Infinity. */
export const EDGE_NUMBER_TEXT = [
  '-1',
  '0',
  '-0',
  '1.5',
  '1e-400',
  '2147483647',
  '2147483648',
  '4294967295',
  '4294967296',
  '9007199254740991',
  '9007199254740993',
  '18446744073709551615',
  '1e308',
  '1e999',
  '-1e999',
  'NaN',
  'Infinity',
  'null',
  '"7"',
  '[]',
  '{}',
];
/** The same edges as little-endian u32 / u64 fields. */
const EDGE_U32 = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 64, 1 << 20];
const EDGE_U64 = [0n, 1n, 2n ** 31n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n];

const text = new TextEncoder();
/** The entry of a non-empty `list` that an edit's `value` selects. */
const choose = <T>(list: readonly T[], value: number): T => at(list, value % list.length);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Applies `list` to `seed` in order; `donors` are spliced from. Each edit is O(size of the input). */
export function mutate(seed: Uint8Array, list: readonly Edit[], donors: readonly Uint8Array[] = [seed]): Uint8Array {
  let b = seed;
  for (const { kind, at: a, len, value } of list) {
    const pos = a % (b.length + 1);
    const end = Math.min(b.length, pos + len);
    switch (kind % 12) {
      case 0: {
        b = b.slice();
        if (pos < b.length) b[pos] = at(b, pos) ^ (1 << (value % 8));
        break;
      } // bit flip
      case 1: {
        b = b.slice();
        if (pos < b.length) b[pos] = value & 0xff;
        break;
      } // byte set
      case 2:
        b = b.subarray(0, pos);
        break; // truncation
      case 3:
        b = concat(b.subarray(0, pos), b.subarray(end));
        break; // deletion
      case 4:
        b = concat(b.subarray(0, end), b.subarray(pos, end), b.subarray(end));
        break; // duplication
      case 5: {
        // splice from a donor
        const d = choose(donors, value);
        const from = (value >>> 3) % (d.length + 1);
        b = concat(b.subarray(0, pos), d.subarray(from, from + len), b.subarray(pos));
        break;
      }
      case 6: {
        b = b.slice();
        if (pos + 4 <= b.length) new DataView(b.buffer).setUint32(pos, choose(EDGE_U32, value), true);
        break;
      }
      case 7: {
        b = b.slice();
        if (pos + 8 <= b.length) new DataView(b.buffer).setBigUint64(pos, choose(EDGE_U64, value), true);
        break;
      }
      case 8:
        b = replaceNumber(b, pos, choose(EDGE_NUMBER_TEXT, value));
        break;
      case 9: {
        // deep nesting
        const depth = 1 + (value % 20_000);
        b = concat(b.subarray(0, pos), text.encode('['.repeat(depth) + ']'.repeat(value % 2 ? depth : 0)), b.subarray(pos));
        break;
      }
      case 10:
        b = duplicateKey(b, pos);
        break;
      default:
        b = concat(b.subarray(0, pos), text.encode(choose(['"', ',', '{', '}', '"__proto__":', '\\u0000', '..', '/', '\0', '\n'], value)), b.subarray(pos));
    }
  }
  return b;
}

/** Replaces the run of number characters at or after `at` (JSON text) with `replacement`. */
export interface MutatedOrGeneratedOptions {
  /** which seed to mutate (default: each equally often) */
  pick?: fc.Arbitrary<number>;
  /** splice material for mutated seeds (default: the seeds) */
  seedDonors?: readonly Uint8Array[];
  /** splice material for a mutated generated input (default: itself) */
  generatedDonors?: (generated: Uint8Array) => readonly Uint8Array[];
  /** how often a seed vs a generated input is chosen (default 3 : 2) */
  weights?: readonly [number, number];
}

/**
 * A reader's fuzz input: a real seed file under up to 6 edits, or a structured generated input under up to 2 (it
 * is near-valid already, so fewer edits keep it near the reader's deeper checks).
 */
export function mutatedOrGenerated(
  seeds: readonly Uint8Array[],
  generated: fc.Arbitrary<Uint8Array>,
  opts: MutatedOrGeneratedOptions = {},
): fc.Arbitrary<Uint8Array> {
  const { pick = fc.nat(seeds.length - 1), seedDonors = seeds, generatedDonors = (g) => [g], weights = [3, 2] } = opts;
  return fc.oneof(
    { arbitrary: fc.tuple(pick, edits()).map(([s, e]) => mutate(at(seeds, s), e, seedDonors)), weight: weights[0] },
    { arbitrary: fc.tuple(generated, edits(2)).map(([g, e]) => mutate(g, e, generatedDonors(g))), weight: weights[1] },
  );
}

function replaceNumber(b: Uint8Array, at: number, replacement: string): Uint8Array {
  const isNum = (c: number) => (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x65 || c === 0x2b;
  let s = at;
  while (s < b.length && !(b[s]! >= 0x30 && b[s]! <= 0x39)) s++;
  if (s === b.length) return b;
  let e = s;
  while (e < b.length && isNum(b[e]!)) e++;
  return concat(b.subarray(0, s), text.encode(replacement), b.subarray(e));
}

/** Copies the `"key": value` pair starting at the first quote after `at` to just after itself (a duplicated key). */
function duplicateKey(b: Uint8Array, at: number): Uint8Array {
  const s = b.indexOf(0x22, at);
  if (s < 0) return b;
  let e = b.indexOf(0x2c, s); // up to the next comma (or the end)
  if (e < 0) e = b.length;
  return concat(b.subarray(0, e), text.encode(','), b.subarray(s, e), b.subarray(e));
}

/** Runs `run`; an exception that is not one of `allowed` (or a subclass) propagates and fails the fuzz target. */
export function onlyTypedErrors(run: () => void, ...allowed: (abstract new (...args: never[]) => Error)[]): void {
  try {
    run();
  } catch (e) {
    if (!allowed.some((c) => e instanceof c)) throw e;
  }
}

/** A fresh directory for a fuzz target's files: in /dev/shm (tmpfs) where there is one, so that rewriting an
 * input never waits on disk writeback (on the shared disk a write stalled past 1 s, then past 3 s, for inputs
 * that replay in 2 ms). */
export function fuzzScratchDir(prefix: string): string {
  return mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), prefix));
}

/** Per-input time bound of the targets that read through an InputFile (about 0.1 ms an input): 3 s, so that
 * scheduling noise on a shared 2-core machine is not a finding; a hang or a quadratic step still trips it. */
export const FILE_INPUT_BOUND = { maxMsPerInput: 3000 };

/**
 * One file on disk that each fuzz input overwrites in place. Not writeFileSync: truncating a file to zero and
 * rewriting it makes ext4 flush it (auto_da_alloc), 2.7 ms an input here instead of 0.03 ms.
 */
export class InputFile {
  private readonly fd: number;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }
  write(bytes: Uint8Array): void {
    ftruncateSync(this.fd, bytes.length);
    writeSync(this.fd, bytes, 0, bytes.length, 0);
  }
}
