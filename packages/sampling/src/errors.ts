/** Base class of every error thrown by @gptj/sampling. */
export class SamplingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A generation option is unknown, of the wrong type, or out of range. `option` is its name (dotted path for nested values). */
export class InvalidOptionError extends SamplingError {
  constructor(
    readonly option: string,
    readonly reason: string,
  ) {
    super(`invalid option "${option}": ${reason}`);
  }
}

/** The model's own settings cannot be generated with (e.g. its EOS id lies outside its vocabulary): not an option error. */
export class InvalidModelError extends SamplingError {}

/** The prompt is empty, malformed, or holds a token id outside the model's vocabulary. */
export class InvalidPromptError extends SamplingError {}

/**
 * The (left-padded) prompt plus maxNewTokens does not fit the model's context window.
 * Policy: nothing is truncated silently; the caller shortens the prompt or lowers maxNewTokens.
 */
export class ContextLengthError extends SamplingError {
  constructor(
    readonly promptTokens: number,
    readonly maxNewTokens: number,
    readonly maxLength: number,
  ) {
    super(
      `prompt of ${promptTokens} tokens + maxNewTokens ${maxNewTokens} = ${promptTokens + maxNewTokens} exceeds ` +
        `the model's context length ${maxLength}; shorten the prompt or lower maxNewTokens to at most ` +
        `${Math.max(0, maxLength - promptTokens)}`,
    );
  }
}

/** The model returned logits that cannot be sampled from (NaN or +Infinity). */
export class InvalidLogitsError extends SamplingError {
  constructor(
    readonly row: number,
    readonly tokenId: number,
    readonly value: number,
  ) {
    super(`the model returned logit ${value} for token ${tokenId} in batch row ${row}; logits must be finite or -Infinity`);
  }
}

/** Throws InvalidLogitsError unless every entry of the row is finite or -Infinity (one pass, no allocation). */
export function checkLogits(scores: Float32Array, row: number): void {
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i]!;
    if (v !== v || v === Infinity) throw new InvalidLogitsError(row, i, v);
  }
}
