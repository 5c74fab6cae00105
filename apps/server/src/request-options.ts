// OpenAI request fields -> @gptj/sampling's generate options.
import { randomInt } from 'node:crypto';
import type { GenerateOptions } from '@gptj/sampling';
import { ApiError } from './errors.js';
import type { SamplingBody } from './schemas.js';

/**
 * `defaultMaxTokens` applies when the request has no max_tokens; `extraStop` is appended to the request's stop
 * strings (the chat template's turn markers). Temperature defaults to 1 as in OpenAI's API; 0 means greedy. A
 * sampling request without a seed gets a random one, so unseeded requests differ.
 */
export function toGenerateOptions(body: SamplingBody, defaultMaxTokens: number, signal: AbortSignal, extraStop: readonly string[] = []): GenerateOptions {
  if (body.n !== undefined && body.n !== 1) {
    throw new ApiError(400, `n: only n=1 is supported (one choice per request), got ${body.n}`, 'invalid_request_error', 'n');
  }
  const temperature = body.temperature ?? 1;
  const o: GenerateOptions = { maxNewTokens: body.max_tokens ?? defaultMaxTokens, temperature, signal };
  if (body.top_p !== undefined) o.topP = body.top_p;
  if (body.presence_penalty !== undefined) o.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty !== undefined) o.frequencyPenalty = body.frequency_penalty;
  if (body.logit_bias !== undefined) o.logitBias = body.logit_bias;
  const stop = [...(typeof body.stop === 'string' ? [body.stop] : (body.stop ?? [])), ...extraStop];
  if (stop.length > 0) o.stop = stop;
  if (temperature > 0) o.seed = body.seed ?? randomInt(0, 2 ** 32 - 1);
  return o;
}

/** Sampling's finish reasons in OpenAI's words (EOS and a stop string are both 'stop'). */
export function openaiFinishReason(reason: 'length' | 'stop' | 'eos' | 'abort'): 'length' | 'stop' {
  return reason === 'length' ? 'length' : 'stop';
}
