// POST /v1/chat/completions: messages rendered with the plain-text template of chat-template.ts, then generated like a
// completion; whole or streamed as chat.completion.chunk deltas.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Engine } from './engine.js';
import { ApiError, toApiError } from './errors.js';
import { chatLogprobs, textIds } from './logprobs.js';
import { abortOnClose } from './abort.js';
import { checkModel } from './models.js';
import { chatMaxTokens, chatMessages } from './chat-messages.js';
import { CHAT_STOP, renderChat } from './chat-template.js';
import { openaiFinishReason, toGenerateOptions } from './request-options.js';
import { chatBodySchema, type ChatBody } from './schemas.js';
import { SseWriter } from './sse.js';

export function registerChat(app: FastifyInstance, engine: Engine): void {
  app.post<{ Body: ChatBody }>('/v1/chat/completions', { schema: { body: chatBodySchema } }, async (request, reply) => {
    const body = request.body;
    checkModel(engine, body.model);
    const signal = abortOnClose(reply);
    const promptIds = engine.tokenizer.encode(renderChat(chatMessages(body)));
    // Without max_tokens the reply may use the rest of the context window (OpenAI's chat default).
    const maxTokens = chatMaxTokens(body);
    const options = toGenerateOptions({ ...body, max_tokens: maxTokens }, Math.max(1, engine.maxLength - promptIds.length), signal, CHAT_STOP);
    const base = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: engine.modelName };
    // The model's text after "Assistant:" starts with the separating space; the message content does not.
    let leading = true;
    const trim = (text: string): string => {
      if (!leading) return text;
      const t = text.replace(/^\s+/, '');
      if (t) leading = false;
      return t;
    };

    if (body.top_logprobs !== undefined && body.logprobs !== true) {
      throw new ApiError(400, 'top_logprobs: needs logprobs: true', 'invalid_request_error', 'top_logprobs');
    }
    if (body.logprobs === true && body.stream) throw new ApiError(400, 'logprobs: is not supported with stream: true', 'invalid_request_error', 'logprobs');

    if (!body.stream) {
      const r = await engine.run(promptIds, options);
      const logprobs = body.logprobs === true ? await chatLogprobs(engine, promptIds, textIds(engine, r.ids, r.text), body.top_logprobs ?? 0) : null;
      return {
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: r.text.replace(/^\s+/, '') }, logprobs, finish_reason: openaiFinishReason(r.finishReason) }],
        usage: { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens },
      };
    }

    const sse = new SseWriter(reply);
    const chunk = { ...base, object: 'chat.completion.chunk' as const };
    try {
      const r = await engine.run(promptIds, options, (text) => {
        const content = trim(text);
        if (!sse.hasStarted) sse.send({ ...chunk, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
        if (content) sse.send({ ...chunk, choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] });
      });
      if (!sse.hasStarted) sse.send({ ...chunk, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
      sse.send({
        ...chunk,
        choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: openaiFinishReason(r.finishReason) }],
        usage: { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens },
      });
      sse.done();
    } catch (err) {
      if (!sse.hasStarted) throw err;
      sse.fail(toApiError(err).toBody());
    }
    return reply;
  });
}
