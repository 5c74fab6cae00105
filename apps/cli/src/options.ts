// Value parsers for command-line flags. Each one either returns a checked value or throws commander's
// InvalidArgumentError, which commander turns into one line naming the flag and the value
// ("option '--top-p <p>' argument '2' is invalid. must be in (0, 1]").
import { InvalidArgumentError } from 'commander';

function toNumber(raw: string): number {
  const trimmed = raw.trim();
  // Number('') is 0 and Number('0x10') is 16: accept only plain decimal notation.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) throw new InvalidArgumentError('not a number');
  return Number(trimmed);
}

/** An integer >= min (and <= max when given). */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (raw: string) => number {
  return (raw) => {
    const n = toNumber(raw);
    if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
    if (max === Number.MAX_SAFE_INTEGER) {
      if (n < min) throw new InvalidArgumentError(`must be >= ${min}`);
      if (n > max) throw new InvalidArgumentError(`must be at most ${max} (2^53 - 1)`);
    } else if (n < min || n > max) throw new InvalidArgumentError(`must be in [${min}, ${max}]`);
    return n;
  };
}

/** A finite number in a range; `lowOpen` excludes the lower bound. */
export function real(min: number, max: number, lowOpen = false): (raw: string) => number {
  return (raw) => {
    const n = toNumber(raw);
    if (!Number.isFinite(n)) throw new InvalidArgumentError('must be finite');
    const lowOk = lowOpen ? n > min : n >= min;
    if (!lowOk || n > max) {
      const lo = `${lowOpen ? '(' : '['}${min}`;
      const hi = max === Infinity ? 'inf)' : `${max}]`;
      throw new InvalidArgumentError(`must be in ${lo}, ${hi}`);
    }
    return n;
  };
}

/** Any text but the empty string (an empty --stop would match everywhere). */
export function nonEmpty(raw: string): string {
  if (raw === '') throw new InvalidArgumentError('must not be empty');
  return raw;
}

/** Comma-separated non-negative integer ids, e.g. "15496,11,995". */
export function idList(raw: string): number[] {
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) {
    throw new InvalidArgumentError('expected comma-separated non-negative integers, e.g. 1,2,3');
  }
  return parts.map(Number);
}

/** Comma-separated 0/1 values (an attention mask row). */
export function maskList(raw: string): number[] {
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.some((p) => p !== '0' && p !== '1')) throw new InvalidArgumentError('expected comma-separated 0/1 values, e.g. 0,1,1');
  return parts.map(Number);
}

/** Collector for repeatable flags: `--stop a --stop b` gives ['a', 'b']. */
export function collect<T>(parse: (raw: string) => T): (raw: string, previous: T[] | undefined) => T[] {
  return (raw, previous) => [...(previous ?? []), parse(raw)];
}
