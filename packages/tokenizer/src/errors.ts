/** Base class of every error this package throws on bad input or bad tokenizer files. */
export class TokenizerError extends Error {
  constructor(message?: string) {
    super(message);
    // Every subclass is named after its class, without restating its name as a string.
    this.name = new.target.name;
  }
}

/** The text holds a special token that the `disallowedSpecial` option forbids. */
export class SpecialTokenError extends TokenizerError {
  constructor(
    readonly token: string,
    readonly index: number,
    readonly tokenId: number,
  ) {
    super(
      `Text contains the special token ${JSON.stringify(token)} at index ${index}, which disallowedSpecial forbids. ` +
        `Pass { allowedSpecial: new Set([${JSON.stringify(token)}]) } (or 'all') to encode it as token ${tokenId}, ` +
        `or leave it out of disallowedSpecial to encode it as ordinary text.`,
    );
  }
}

/** decode() or a stream decoder got an id that is not a token of this vocabulary. */
export class UnknownTokenIdError extends TokenizerError {
  constructor(
    readonly id: unknown,
    readonly position: number,
    vocabSize: number,
  ) {
    super(`Token id ${String(id)} at position ${position} is not in the vocabulary ` + `(ids are integers 0..${vocabSize - 1}).`);
  }
}

/** A tokenizer directory or file is missing, malformed, or of an unsupported kind. */
export class TokenizerLoadError extends TokenizerError {}
