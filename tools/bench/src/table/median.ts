// The median the bench's figures use: the upper middle element for an even count (no averaging, so it is always a
// measured value), NaN for an empty list.
export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
