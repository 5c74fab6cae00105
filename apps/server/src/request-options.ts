// OpenAI request fields -> @gptj/sampling's generate options.
import { randomInt } from 'node:crypto';
import { JsonLogitsProcessor, type GenerateOptions, type JsonTokenSource } from '@gptj/sampling';
import { ApiError } from './errors.js';
import type { SamplingBody } from './schemas.js';

/** What `response_format: {type: "json_object"}` needs of the loaded model (the Engine has these). */
export interface JsonTarget {
  tokenizer: JsonTokenSource;
  model: { vocabSize: number; eosTokenId: number | null };
}

/**
 * `defaultMaxTokens` applies when the request has no max_tokens; `extraStop` is appended to the request's stop
 * strings (the chat template's turn markers). Temperature defaults to 1 as in OpenAI's API; 0 means greedy. A
 * sampling request without a seed gets a random one, so unseeded requests differ. `response_format` json_object
 * constrains the output to one JSON object over `target`'s vocabulary (@gptj/sampling's JsonLogitsProcessor).
 * `n` (and `best_of`) are not sampling options: the server serves them as sibling sequences (siblings.ts).
 */
export function toGenerateOptions(
  body: SamplingBody,
  defaultMaxTokens: number,
  signal: AbortSignal,
  extraStop: readonly string[] = [],
  target?: JsonTarget,
): GenerateOptions {
  const temperature = body.temperature ?? 1;
  const o: GenerateOptions = { maxNewTokens: body.max_tokens ?? defaultMaxTokens, temperature, signal };
  if (body.top_p !== undefined) o.topP = body.top_p;
  if (body.top_k !== undefined && body.top_k > 0) o.topK = body.top_k;
  if (body.presence_penalty !== undefined) o.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty !== undefined) o.frequencyPenalty = body.frequency_penalty;
  if (body.logit_bias !== undefined) o.logitBias = body.logit_bias;
  const stop = [...(typeof body.stop === 'string' ? [body.stop] : (body.stop ?? [])), ...extraStop];
  if (stop.length > 0) o.stop = stop;
  if (temperature > 0) o.seed = body.seed ?? randomInt(0, 2 ** 32 - 1);
  const format = body.response_format?.type;
  if (format === 'json_schema') {
    throw new ApiError(
      400,
      'response_format: type "json_schema" is not supported; use {"type": "json_object"} (any JSON object)',
      'invalid_request_error',
      'response_format',
    );
  }
  if (format === 'json_object') o.logitsProcessors = [jsonProcessor(target)];
  return o;
}

function jsonProcessor(target: JsonTarget | undefined): JsonLogitsProcessor {
  if (!target) throw new Error('toGenerateOptions: response_format json_object needs the model (the target argument)');
  const eos = target.model.eosTokenId;
  if (eos === null) {
    throw new ApiError(
      400,
      "response_format: json_object needs the model's end-of-text token, and its config.json names none",
      'invalid_request_error',
      'response_format',
    );
  }
  return new JsonLogitsProcessor({ tokenizer: target.tokenizer, vocabSize: target.model.vocabSize, eosTokenIds: [eos] });
}

/** Sampling's finish reasons in OpenAI's words (EOS and a stop string are both 'stop'). */
export function openaiFinishReason(reason: 'length' | 'stop' | 'eos' | 'abort'): 'length' | 'stop' {
  return reason === 'length' ? 'length' : 'stop';
}
