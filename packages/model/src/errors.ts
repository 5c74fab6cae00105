/** Base class of every error @gptj/model throws on bad input (config, checkpoint files, hub downloads). */
export class ModelLoadError extends Error {
  constructor(message?: string) {
    super(message);
    // Every subclass is named after its class, without restating its name as a string.
    this.name = new.target.name;
  }
}

/** config.json is missing a field, has a wrong type, or describes an impossible GPT-J. */
export class ConfigError extends ModelLoadError {}

/** A checkpoint file is malformed (truncated, bad header, bad offsets, unknown dtype...). Names the file and tensor. */
export class CheckpointFormatError extends ModelLoadError {
  constructor(
    readonly file: string,
    message: string,
    readonly tensor?: string,
  ) {
    super(`${file}${tensor ? ` (tensor "${tensor}")` : ''}: ${message}`);
  }
}

/** A pickle in a PyTorch checkpoint asks for something other than plain tensor data (it would run code). */
export class UnsafePickleError extends CheckpointFormatError {}

/** The checkpoint's tensors do not match the config: missing, unexpected, or misshaped tensors. */
export class CheckpointMismatchError extends ModelLoadError {
  constructor(readonly problems: readonly string[]) {
    super(
      `checkpoint does not match the config:\n  ${problems.slice(0, 20).join('\n  ')}` +
        (problems.length > 20 ? `\n  ... and ${problems.length - 20} more` : ''),
    );
  }
}

/** A hub id could not be resolved or downloaded. */
export class HubError extends ModelLoadError {}

/** A long feature run (embed) was stopped through its abort signal; it stops between micro-batches. */
export class AbortedError extends Error {
  override name = 'AbortedError';
  constructor(
    readonly op: string,
    readonly done: number,
    readonly total: number,
  ) {
    super(`${op}: aborted after ${done} of ${total} inputs`);
  }
}
