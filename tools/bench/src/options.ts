/** A count given on the command line: a positive integer, or a RangeError naming the option and what it got. */
export function positiveInt(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name} must be a positive integer, got ${text}`);
  return n;
}
