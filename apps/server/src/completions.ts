// POST /v1/completions: text (or token ids) in, a continuation out, whole or streamed; n choices per prompt (best_of
// siblings ranked), one set per prompt. `logprobs` and `echo` follow OpenAI's legacy completions (what evaluation
// harnesses send to a local server); `logprobs` also streams.
import { randomUUID } from 'node:crypto';
import { ContextLengthError, type GenerateOptions } from '@gptj/sampling';
import type { FastifyInstance } from 'fastify';
import type { Engine, GenerationResult } from './engine.js';
import { ApiError, toApiError } from './errors.js';
import { abortOnClose, mapLimited } from './abort.js';
import { completionLogprobs, echoLogprobs, StreamedLogprobs } from './logprobs.js';
import { checkModel } from './models.js';
import { openaiFinishReason, toGenerateOptions } from './request-options.js';
import { completionBodySchema, type CompletionBody } from './schemas.js';
import { pickChoices, siblingPlan, streamIndices, withSiblings, type SiblingPlan } from './siblings.js';
import { SSE_SLOT, SseWriter } from './sse.js';
import { tokenChunkTemplates } from './stream-chunks.js';
import { toIds } from './token-ids.js';

/** OpenAI's default max_tokens for completions. */
const DEFAULT_MAX_TOKENS = 16;

/** The request's prompts as a list (a single text or id array is one prompt). */
function promptList(prompt: CompletionBody['prompt']): (string | number[])[] {
  if (typeof prompt === 'string') return [prompt];
  return prompt.every((x) => typeof x === 'number') ? [prompt as number[]] : (prompt as (string | number[])[]);
}

/**
 * Sampling options of the request; n and best_of become sibling sequences (siblings.ts), not toGenerateOptions' n.
 * `logprobs` (without echo, which is scored afterwards) asks the scheduler for each token's logprob and alternatives.
 */
function generateOptions(engine: Engine, body: CompletionBody, plan: SiblingPlan, signal: AbortSignal): GenerateOptions {
  const o = withSiblings(toGenerateOptions({ ...body, n: 1 }, DEFAULT_MAX_TOKENS, signal, [], engine), plan);
  return body.logprobs == null || body.echo ? o : { ...o, logprobs: true, topLogprobs: body.logprobs };
}

/** The prompt's text length: where the generated tokens' text offsets start (ids are checked first). */
function promptTextLength(engine: Engine, prompt: string | number[]): number {
  return typeof prompt === 'string' ? prompt.length : engine.tokenizer.decode(toIds(engine, prompt, 'prompt')).length;
}

/** Prompt p's n choices: generated (unless max_tokens is 0), the best kept, then scored when `logprobs` is asked for. */
async function promptChoices(engine: Engine, body: CompletionBody, prompt: string | number[], p: number, plan: SiblingPlan, signal: AbortSignal) {
  const ids = toIds(engine, prompt, 'prompt');
  const maxTokens = body.max_tokens ?? DEFAULT_MAX_TOKENS;
  if (ids.length === 0) throw new ApiError(400, 'prompt: is empty (at least one token is needed to condition on)', 'invalid_request_error', 'prompt');
  if (ids.length + maxTokens > engine.maxLength) throw toApiError(new ContextLengthError(ids.length, maxTokens, engine.maxLength));
  const r: GenerationResult =
    maxTokens === 0
      ? { choices: [{ text: '', finishReason: 'length', ids: [], logprobs: [], top: [] }], promptTokens: ids.length, completionTokens: 0 }
      : await engine.run(ids, generateOptions(engine, body, plan, signal));
  const echoed = body.echo ? (typeof prompt === 'string' ? prompt : engine.tokenizer.decode(ids)) : '';
  const choices = await Promise.all(
    pickChoices(r.choices, plan).map(async (c, j) => ({
      text: echoed + c.text,
      index: p * plan.n + j,
      logprobs:
        body.logprobs == null
          ? null
          : body.echo
            ? await echoLogprobs(engine, ids, c, body.logprobs)
            : completionLogprobs(engine, c, promptTextLength(engine, prompt)),
      finish_reason: openaiFinishReason(c.finishReason),
    })),
  );
  return { choices, promptTokens: r.promptTokens, completionTokens: r.completionTokens };
}

const usage = (promptTokens: number, completionTokens: number) => ({
  prompt_tokens: promptTokens,
  completion_tokens: completionTokens,
  total_tokens: promptTokens + completionTokens,
});

export function registerCompletions(app: FastifyInstance, engine: Engine): void {
  app.post<{ Body: CompletionBody }>('/v1/completions', { schema: { body: completionBodySchema } }, async (request, reply) => {
    const body = request.body;
    checkModel(engine, body.model);
    const signal = abortOnClose(reply);
    const base = { id: `cmpl-${randomUUID()}`, object: 'text_completion' as const, created: Math.floor(Date.now() / 1000), model: engine.modelName };
    const prompts = promptList(body.prompt);
    const plan = siblingPlan(engine, body);

    if (!body.stream) {
      // Prompts generate side by side, at most `parallel` of one request at a time (a long list does not fill the queue).
      const results = await mapLimited(prompts, engine.parallel, signal, (p, i, sig) => promptChoices(engine, body, p, i, plan, sig));
      const sum = (f: (r: (typeof results)[number]) => number) => results.reduce((a, r) => a + f(r), 0);
      return {
        ...base,
        choices: results.flatMap((r) => r.choices),
        usage: usage(
          sum((r) => r.promptTokens),
          sum((r) => r.completionTokens),
        ),
      };
    }

    for (const [field, set, what] of [
      ['prompt', prompts.length > 1, 'several prompts are'],
      ['echo', body.echo === true, 'is'],
      ['best_of', plan.rows > plan.n, 'greater than n is'],
    ] as const) {
      if (set) throw new ApiError(400, `${field}: ${what} not supported with stream: true`, 'invalid_request_error', field);
    }
    const options = generateOptions(engine, body, plan, signal);
    const offset0 = promptTextLength(engine, prompts[0]!);
    const rowLogprobs: StreamedLogprobs[] = [];
    const sse = new SseWriter(reply);
    const textChunks = tokenChunkTemplates(plan, (index) => ({ ...base, choices: [{ text: SSE_SLOT, index, logprobs: null, finish_reason: null }] }));
    try {
      const r = await engine.run(prompts[0]!, options, (e) => {
        let logprobs = null;
        if (body.logprobs != null) {
          rowLogprobs[e.row] ??= new StreamedLogprobs(engine);
          const row = rowLogprobs[e.row]!;
          const tokens = row.release(e);
          if (tokens.length > 0) logprobs = row.completionChunk(tokens, offset0);
        }
        if (logprobs === null) {
          if (e.text) for (const t of textChunks(e.row)) sse.sendIn(t, e.text);
        } else for (const index of streamIndices(e.row, plan)) sse.send({ ...base, choices: [{ text: e.text, index, logprobs, finish_reason: null }] });
      });
      pickChoices(r.choices, plan).forEach((c, index) => {
        const last = index === plan.n - 1;
        sse.send({
          ...base,
          choices: [{ text: '', index, logprobs: null, finish_reason: openaiFinishReason(c.finishReason) }],
          ...(last ? { usage: usage(r.promptTokens, r.completionTokens) } : {}),
        });
      });
      sse.done();
    } catch (err) {
      if (!sse.hasStarted) throw err; // nothing sent yet: the error handler answers with a status and JSON
      sse.fail(toApiError(err).toBody());
    }
    return reply;
  });
}
