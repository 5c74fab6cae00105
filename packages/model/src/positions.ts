/**
 * Position ids as transformers' generate computes them for left-padded batches: cumsum(mask) - 1 along each
 * row, with padded positions set to 1 (their value never matters: padded keys are masked out).
 */
export function positionIds(mask: readonly (readonly number[])[]): number[][] {
  return mask.map((row) => {
    let seen = 0;
    return row.map((m) => {
      if (m !== 0 && m !== 1) throw new RangeError(`attention mask values must be 0 or 1, got ${m}`);
      seen += m;
      return m ? seen - 1 : 1;
    });
  });
}
