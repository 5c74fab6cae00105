// POST /v1/completions: text (or token ids) in, a continuation out, whole or streamed.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Engine } from './engine.js';
import { toApiError } from './errors.js';
import { abortOnClose } from './abort.js';
import { checkModel } from './models.js';
import { openaiFinishReason, toGenerateOptions } from './request-options.js';
import { completionBodySchema, type CompletionBody } from './schemas.js';
import { SseWriter } from './sse.js';

/** OpenAI's default max_tokens for completions. */
const DEFAULT_MAX_TOKENS = 16;

export function registerCompletions(app: FastifyInstance, engine: Engine): void {
  app.post<{ Body: CompletionBody }>('/v1/completions', { schema: { body: completionBodySchema } }, async (request, reply) => {
    const body = request.body;
    checkModel(engine, body.model);
    const signal = abortOnClose(reply);
    const options = toGenerateOptions(body, DEFAULT_MAX_TOKENS, signal);
    const base = { id: `cmpl-${randomUUID()}`, object: 'text_completion' as const, created: Math.floor(Date.now() / 1000), model: engine.modelName };

    if (!body.stream) {
      const r = await engine.run(body.prompt, options);
      return {
        ...base,
        choices: [{ text: r.text, index: 0, logprobs: null, finish_reason: openaiFinishReason(r.finishReason) }],
        usage: { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens },
      };
    }

    const sse = new SseWriter(reply);
    try {
      const r = await engine.run(body.prompt, options, (text) => {
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
