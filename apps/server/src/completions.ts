// POST /v1/completions: text (or token ids) in, a continuation out, whole or streamed; one choice per prompt.
// `logprobs` and `echo` follow OpenAI's legacy completions (what evaluation harnesses send to a local server).
import { randomUUID } from 'node:crypto';
import { ContextLengthError } from '@gptj/sampling';
import type { FastifyInstance } from 'fastify';
import type { Engine, GenerationResult } from './engine.js';
import { ApiError, toApiError } from './errors.js';
import { abortOnClose } from './abort.js';
import { completionLogprobs, textIds } from './logprobs.js';
import { checkModel } from './models.js';
import { openaiFinishReason, toGenerateOptions } from './request-options.js';
import { completionBodySchema, type CompletionBody } from './schemas.js';
import { SseWriter } from './sse.js';
import { toIds } from './token-ids.js';

/** OpenAI's default max_tokens for completions. */
const DEFAULT_MAX_TOKENS = 16;

/** The request's prompts as a list (a single text or id array is one prompt). */
function promptList(prompt: CompletionBody['prompt']): (string | number[])[] {
  if (typeof prompt === 'string') return [prompt];
  return prompt.every((x) => typeof x === 'number') ? [prompt as number[]] : (prompt as (string | number[])[]);
}

/** One choice: generated (unless max_tokens is 0), then scored when `logprobs` is asked for. */
async function choice(engine: Engine, body: CompletionBody, prompt: string | number[], index: number, signal: AbortSignal) {
  const ids = toIds(engine, prompt, 'prompt');
  const maxTokens = body.max_tokens ?? DEFAULT_MAX_TOKENS;
  if (ids.length === 0) throw new ApiError(400, 'prompt: is empty (at least one token is needed to condition on)', 'invalid_request_error', 'prompt');
  if (ids.length + maxTokens > engine.maxLength) throw toApiError(new ContextLengthError(ids.length, maxTokens, engine.maxLength));
  const r: GenerationResult =
    maxTokens === 0 ? { text: '', finishReason: 'length', promptTokens: ids.length, completionTokens: 0, ids: [] } : await engine.run(ids, toGenerateOptions(body, DEFAULT_MAX_TOKENS, signal));
  const echoed = body.echo ? (typeof prompt === 'string' ? prompt : engine.tokenizer.decode(ids)) : '';
  const logprobs = body.logprobs == null ? null : await completionLogprobs(engine, ids, textIds(engine, r.ids, r.text), body.echo === true, body.logprobs);
  return { r, choice: { text: echoed + r.text, index, logprobs, finish_reason: openaiFinishReason(r.finishReason) } };
}

export function registerCompletions(app: FastifyInstance, engine: Engine): void {
  app.post<{ Body: CompletionBody }>('/v1/completions', { schema: { body: completionBodySchema } }, async (request, reply) => {
    const body = request.body;
    checkModel(engine, body.model);
    const signal = abortOnClose(reply);
    const base = { id: `cmpl-${randomUUID()}`, object: 'text_completion' as const, created: Math.floor(Date.now() / 1000), model: engine.modelName };
    const prompts = promptList(body.prompt);

    if (!body.stream) {
      const choices = [];
      let promptTokens = 0;
      let completionTokens = 0;
      for (const [i, p] of prompts.entries()) {
        const c = await choice(engine, body, p, i, signal);
        choices.push(c.choice);
        promptTokens += c.r.promptTokens;
        completionTokens += c.r.completionTokens;
      }
      return { ...base, choices, usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } };
    }

    for (const [field, set] of [['prompt', prompts.length > 1], ['echo', body.echo === true], ['logprobs', body.logprobs != null]] as const) {
      if (set) throw new ApiError(400, `${field}: ${field === 'prompt' ? 'several prompts are' : 'is'} not supported with stream: true`, 'invalid_request_error', field);
    }
    const options = toGenerateOptions(body, DEFAULT_MAX_TOKENS, signal);
    const sse = new SseWriter(reply);
    try {
      const r = await engine.run(prompts[0]!, options, (text) => {
        sse.send({ ...base, choices: [{ text, index: 0, logprobs: null, finish_reason: null }] });
      });
      sse.send({
        ...base,
        choices: [{ text: '', index: 0, logprobs: null, finish_reason: openaiFinishReason(r.finishReason) }],
        usage: { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens },
      });
      sse.done();
    } catch (err) {
      if (!sse.hasStarted) throw err; // nothing sent yet: the error handler answers with a status and JSON
      sse.fail(toApiError(err).toBody());
    }
    return reply;
  });
}
