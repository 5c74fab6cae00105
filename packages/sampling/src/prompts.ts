import { ContextLengthError, InvalidPromptError } from './errors.js';
import type { TextTokenizer } from './interfaces.js';

/** One prompt as text or token ids, or a batch of them. */
export type Prompt = string | readonly number[] | readonly (string | readonly number[])[];

/** Token ids of every prompt of the batch; throws InvalidPromptError for empty prompts and ids outside [0, vocabSize). */
export function promptIds(prompt: Prompt, tokenizer: TextTokenizer, vocabSize: number): number[][] {
  const single = typeof prompt === 'string' || (Array.isArray(prompt) && prompt.length > 0 && prompt.every((p) => typeof p === 'number'));
  const list = (single ? [prompt] : prompt) as readonly unknown[];
  if (!Array.isArray(list) || list.length === 0) {
    throw new InvalidPromptError('prompt must be a string, an array of token ids, or a non-empty array of those');
  }
  return list.map((p, i) => {
    const where = single ? 'prompt' : `prompt ${i}`;
    let ids: readonly unknown[];
    if (typeof p === 'string') ids = tokenizer.encode(p);
    else if (Array.isArray(p)) ids = p;
    else throw new InvalidPromptError(`${where} must be a string or an array of token ids, got ${typeof p}`);
    if (ids.length === 0) throw new InvalidPromptError(`${where} is empty: at least one token is needed to condition on`);
    for (const id of ids) {
      if (!(typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < vocabSize)) {
        throw new InvalidPromptError(`${where} holds ${String(id)}, not a token id in [0, ${vocabSize})`);
      }
    }
    return ids as number[];
  });
}

/** Left-pads rows to one length; mask 1 = real token, 0 = pad (what LMSession.forward expects). */
export function leftPad(rows: readonly (readonly number[])[], padId: number): { ids: number[][]; mask: number[][] } {
  const T = Math.max(...rows.map((r) => r.length));
  return {
    ids: rows.map((r) => [...new Array<number>(T - r.length).fill(padId), ...r]),
    mask: rows.map((r) => [...new Array<number>(T - r.length).fill(0), ...new Array<number>(r.length).fill(1)]),
  };
}

/**
 * Context policy: the padded prompt length plus maxNewTokens must fit maxLength, or ContextLengthError is thrown
 * before any work. Nothing is truncated silently.
 */
export function checkContext(rows: readonly (readonly number[])[], maxNewTokens: number, maxLength: number): void {
  const T = Math.max(...rows.map((r) => r.length));
  if (T + maxNewTokens > maxLength) throw new ContextLengthError(T, maxNewTokens, maxLength);
}
