// What the feature and scoring APIs accept: texts (encoded by a caller-given tokenizer, since @gptj/model
// does not depend on @gptj/tokenizer) or token-id arrays, checked once so every later step can trust them.

/** A text or its token ids. */
export type FeatureInput = string | readonly number[];

/** The one piece of a tokenizer the features need (structural: `Tokenizer` of @gptj/tokenizer fits). */
export type Encode = (text: string) => number[];

/**
 * Token ids of every input: strings through `encode`, arrays checked. Each input needs 1..maxLength ids
 * in [0, vocabSize); the RangeError names the offending input by index.
 */
export function inputIds(op: string, inputs: readonly FeatureInput[], encode: Encode | undefined, vocabSize: number, maxLength: number): number[][] {
  if (!Array.isArray(inputs)) throw new TypeError(`${op}: inputs must be an array of texts or token-id arrays`);
  // Array.from, not map: map skips the holes of a sparse array and would return one with holes.
  return Array.from(inputs, (input, i) => {
    let ids: readonly number[];
    if (typeof input === 'string') {
      if (!encode) throw new TypeError(`${op}: input ${i} is a text; pass opts.encode (e.g. (t) => tokenizer.encode(t)) or token ids`);
      ids = encode(input);
    } else if (Array.isArray(input)) {
      ids = input;
    } else {
      throw new TypeError(`${op}: input ${i} must be a string or an array of token ids, got ${input === null ? 'null' : typeof input}`);
    }
    if (ids.length === 0) throw new RangeError(`${op}: input ${i} has no tokens`);
    if (ids.length > maxLength) throw new RangeError(`${op}: input ${i} has ${ids.length} tokens, more than the context of ${maxLength}`);
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new RangeError(`${op}: input ${i}: token id ${id} is outside [0, ${vocabSize})`);
    }
    return [...ids];
  });
}

/** Rows of one micro-batch left-padded to the longest (pad id 0, mask 0), the model's padding convention. */
export function leftPad(rows: readonly (readonly number[])[]): { ids: number[][]; mask: number[][]; width: number } {
  const width = Math.max(...rows.map((r) => r.length));
  return {
    ids: rows.map((r) => [...new Array<number>(width - r.length).fill(0), ...r]),
    mask: rows.map((r) => [...new Array<number>(width - r.length).fill(0), ...new Array<number>(r.length).fill(1)]),
    width,
  };
}
