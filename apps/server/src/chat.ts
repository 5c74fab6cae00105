// POST /v1/chat/completions: messages rendered with the plain-text template of chat-template.ts, then generated like a
// completion (n sibling choices); whole or streamed as chat.completion.chunk deltas, logprobs included.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Engine } from './engine.js';
import { ApiError, toApiError } from './errors.js';
import { chatLogprobs, StreamedLogprobs } from './logprobs.js';
import { abortOnClose } from './abort.js';
import { checkModel } from './models.js';
import { chatMaxTokens, chatMessages } from './chat-messages.js';
import { CHAT_STOP, renderChat } from './chat-template.js';
import { openaiFinishReason, toGenerateOptions } from './request-options.js';
import { chatBodySchema, type ChatBody } from './schemas.js';
import { pickChoices, siblingPlan, streamIndices, withSiblings } from './siblings.js';
import { SSE_SLOT, SseWriter } from './sse.js';
import { tokenChunkTemplates } from './stream-chunks.js';

/** The model's text after "Assistant:" starts with the separating space; the message content does not. */
class LeadingSpace {
  private leading = true;

  trim(text: string): string {
    if (!this.leading) return text;
    const t = text.replace(/^\s+/, '');
    if (t) this.leading = false;
    return t;
  }
}

export function registerChat(app: FastifyInstance, engine: Engine): void {
  app.post<{ Body: ChatBody }>('/v1/chat/completions', { schema: { body: chatBodySchema } }, async (request, reply) => {
    const body = request.body;
    checkModel(engine, body.model);
    const signal = abortOnClose(reply);
    const promptIds = engine.tokenizer.encode(renderChat(chatMessages(body)));
    const plan = siblingPlan(engine, body);
    // Without max_tokens the reply may use the rest of the context window (OpenAI's chat default).
    const maxTokens = chatMaxTokens(body);
    const sampling = withSiblings(
      toGenerateOptions({ ...body, n: 1, max_tokens: maxTokens }, Math.max(1, engine.maxLength - promptIds.length), signal, CHAT_STOP, engine),
      plan,
    );
    // logprobs come with each token from the scheduler (raw model log-softmax), streamed or not
    const options = body.logprobs === true ? { ...sampling, logprobs: true, topLogprobs: body.top_logprobs ?? 0 } : sampling;
    const base = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: engine.modelName };
    const usage = (r: { promptTokens: number; completionTokens: number }) => ({
      prompt_tokens: r.promptTokens,
      completion_tokens: r.completionTokens,
      total_tokens: r.promptTokens + r.completionTokens,
    });

    if (body.top_logprobs !== undefined && body.logprobs !== true) {
      throw new ApiError(400, 'top_logprobs: needs logprobs: true', 'invalid_request_error', 'top_logprobs');
    }

    if (!body.stream) {
      const r = await engine.run(promptIds, options);
      const choices = pickChoices(r.choices, plan).map((c, index) => ({
        index,
        message: { role: 'assistant', content: c.text.replace(/^\s+/, '') },
        logprobs: body.logprobs === true ? chatLogprobs(engine, c) : null,
        finish_reason: openaiFinishReason(c.finishReason),
      }));
      return { ...base, object: 'chat.completion', choices, usage: usage(r) };
    }

    const sse = new SseWriter(reply);
    const chunk = { ...base, object: 'chat.completion.chunk' as const };
    const rows: { space: LeadingSpace; logprobs: StreamedLogprobs }[] = [];
    const contentChunks = tokenChunkTemplates(plan, (index) => ({
      ...chunk,
      choices: [{ index, delta: { content: SSE_SLOT }, logprobs: null, finish_reason: null }],
    }));
    const roleChunks = () => {
      for (let index = 0; index < plan.n; index++)
        sse.send({ ...chunk, choices: [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
    };
    try {
      const r = await engine.run(promptIds, options, (e) => {
        rows[e.row] ??= { space: new LeadingSpace(), logprobs: new StreamedLogprobs(engine) };
        const row = rows[e.row]!;
        if (!sse.hasStarted) roleChunks();
        const tokens = body.logprobs === true ? row.logprobs.release(e) : [];
        const content = row.space.trim(e.text);
        if (!content && tokens.length === 0) return;
        if (tokens.length === 0) for (const t of contentChunks(e.row)) sse.sendIn(t, content);
        else {
          const logprobs = row.logprobs.chatChunk(tokens);
          for (const index of streamIndices(e.row, plan)) sse.send({ ...chunk, choices: [{ index, delta: { content }, logprobs, finish_reason: null }] });
        }
      });
      if (!sse.hasStarted) roleChunks();
      pickChoices(r.choices, plan).forEach((c, index) => {
        const last = index === plan.n - 1;
        sse.send({
          ...chunk,
          choices: [{ index, delta: {}, logprobs: null, finish_reason: openaiFinishReason(c.finishReason) }],
          ...(last ? { usage: usage(r) } : {}),
        });
      });
      sse.done();
    } catch (err) {
      if (!sse.hasStarted) throw err;
      sse.fail(toApiError(err).toBody());
    }
    return reply;
  });
}
