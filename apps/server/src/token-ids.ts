// Checks on token ids and texts that arrive in a request, so the libraries below never see an out-of-range id.
import type { Engine } from './engine.js';
import { ApiError } from './errors.js';

/** Throws a 400 naming `param` unless every id is a token of the loaded model's vocabulary. */
export function checkIds(engine: Engine, ids: readonly number[], param: string): void {
  const vocab = engine.model.vocabSize;
  const bad = ids.findIndex((id) => id >= vocab);
  if (bad >= 0) throw new ApiError(400, `${param}[${bad}]: ${ids[bad]} is not a token id in [0, ${vocab})`, 'invalid_request_error', param);
}

/** Token ids of a text or an id array (checked), as the model reads them. */
export function toIds(engine: Engine, input: string | readonly number[], param: string): number[] {
  if (typeof input === 'string') return engine.tokenizer.encode(input);
  checkIds(engine, input, param);
  return [...input];
}
