// Per-token logprobs of a completion, in OpenAI's two shapes: the legacy completions object (tokens, token_logprobs,
// top_logprobs, text_offset) and chat's `logprobs.content`. The logprobs are the raw model's (log-softmax of the
// logits, before temperature or any other processor). Generated tokens carry them from the scheduler's token events
// (`logprobs` / `topLogprobs` options), so a streamed and a whole response give the same numbers; an echoed prompt
// is scored by @gptj/model's loglikelihood (one extra forward pass over prompt + generated ids).
import { loglikelihood } from '@gptj/model';
import type { DoneEvent, TokenEvent } from '@gptj/sampling';
import type { Engine, GeneratedChoice } from './engine.js';

export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}

interface ChatTokenLogprob {
  token: string;
  logprob: number;
  /** UTF-8 bytes of the token's text; null for a token holding part of a character (its text is U+FFFD). */
  bytes: number[] | null;
}

export interface ChatLogprobs {
  content: (ChatTokenLogprob & { top_logprobs: ChatTokenLogprob[] })[];
  refusal: null;
}

/** A token scored: its logprob and the most likely tokens at its position. */
interface Scored {
  id: number;
  logprob: number;
  top: readonly { id: number; logprob: number }[];
}

/**
 * How many of the generated `ids` make up `text`: with a stop string the generation's ids include the tokens that
 * formed it (the text does not), so trailing ids are dropped while the rest still covers the text.
 */
function textTokenCount(engine: Engine, ids: readonly number[], text: string): number {
  let k = ids.length;
  while (k > 0 && engine.tokenizer.decode(ids.slice(0, k - 1)).length >= text.length) k--;
  return k;
}

/** A generated choice's tokens that make up its text, scored (the generation ran with logprobs). */
function choiceTokens(engine: Engine, c: GeneratedChoice): Scored[] {
  return c.ids.slice(0, textTokenCount(engine, c.ids, c.text)).map((id, j) => ({ id, logprob: c.logprobs[j]!, top: c.top[j] ?? [] }));
}

/** The legacy object for `tokens`; the first text offset is `offset` (offsets count from the prompt's end, as OpenAI's). */
function legacy(engine: Engine, tokens: readonly (Scored | null)[], ids: readonly number[], offset: number): CompletionLogprobs {
  const text = (id: number) => engine.tokenizer.decode([id]);
  const texts = ids.map(text);
  const text_offset = texts.map((t) => {
    const at = offset;
    offset += t.length;
    return at;
  });
  return {
    tokens: texts,
    token_logprobs: tokens.map((t) => t?.logprob ?? null),
    top_logprobs: tokens.map((t) => (t ? Object.fromEntries(t.top.map((a) => [text(a.id), a.logprob])) : null)),
    text_offset,
  };
}

/** Legacy logprobs of a generated choice, offsets from the end of the prompt (`promptTextLength`). */
export function completionLogprobs(engine: Engine, c: GeneratedChoice, promptTextLength: number): CompletionLogprobs {
  const tokens = choiceTokens(engine, c);
  return legacy(
    engine,
    tokens,
    tokens.map((t) => t.id),
    promptTextLength,
  );
}

/**
 * With `echo`: the prompt's tokens, then the generated ones, scored together by loglikelihood; the first prompt token
 * has no logprob (nothing predicts it) and offsets count from the prompt's start.
 */
export async function echoLogprobs(engine: Engine, prompt: readonly number[], c: GeneratedChoice, top: number): Promise<CompletionLogprobs> {
  const generated = c.ids.slice(0, textTokenCount(engine, c.ids, c.text));
  const continuation = [...prompt.slice(1), ...generated];
  const [scored] =
    continuation.length === 0
      ? []
      : await engine.withModel((model) => loglikelihood(model, [{ context: prompt.slice(0, 1), continuation }], { topLogprobs: top }));
  const tokens = continuation.map(
    (id, j): Scored => ({ id, logprob: scored!.tokenLogprobs[j]!, top: (scored!.topLogprobs?.[j] ?? []).map((a) => ({ id: a.token, logprob: a.logprob })) }),
  );
  return legacy(engine, [null, ...tokens], [...prompt.slice(0, 1), ...continuation], 0);
}

function chatEntry(engine: Engine, id: number, logprob: number): ChatTokenLogprob {
  const token = engine.tokenizer.decode([id]);
  return { token, logprob, bytes: token.includes('\uFFFD') ? null : [...Buffer.from(token, 'utf8')] };
}

function chatContent(engine: Engine, tokens: readonly Scored[]): ChatLogprobs {
  return {
    content: tokens.map((t) => ({ ...chatEntry(engine, t.id, t.logprob), top_logprobs: t.top.map((a) => chatEntry(engine, a.id, a.logprob)) })),
    refusal: null,
  };
}

/** Chat's `logprobs` of a generated choice: each token of its text with its logprob and alternatives. */
export function chatLogprobs(engine: Engine, c: GeneratedChoice): ChatLogprobs {
  return chatContent(engine, choiceTokens(engine, c));
}

/**
 * Logprobs of a streamed row, sent with the text their tokens release: a token whose text is held back (it may start
 * a stop string) waits for it; at the end, the held tokens the final text covers are sent and those that formed a
 * stop string are not (as for a whole response).
 */
export class StreamedLogprobs {
  private readonly pending: TokenEvent[] = [];
  private readonly ids: number[] = [];
  private text = '';
  /** Where the next token's text starts, from the end of the prompt (legacy `text_offset`). */
  private offset = 0;

  constructor(private readonly engine: Engine) {}

  /** The tokens to send with this event's text (none while it holds text back). */
  release(e: TokenEvent | DoneEvent): Scored[] {
    this.text += e.text;
    if (e.type === 'token') {
      this.pending.push(e);
      this.ids.push(e.id);
      if (e.text === '') return [];
    }
    const sent = this.ids.length - this.pending.length;
    const keep = e.type === 'done' ? Math.max(0, textTokenCount(this.engine, this.ids, this.text) - sent) : this.pending.length;
    return this.pending
      .splice(0)
      .slice(0, keep)
      .map((t) => ({ id: t.id, logprob: t.logprob!, top: t.topLogprobs ?? [] }));
  }

  /** Legacy completions chunk logprobs for `tokens` (offsets continue from the previous chunk). */
  completionChunk(tokens: readonly Scored[], promptTextLength: number): CompletionLogprobs {
    const chunk = legacy(
      this.engine,
      tokens,
      tokens.map((t) => t.id),
      promptTextLength + this.offset,
    );
    this.offset += chunk.tokens.reduce((a, t) => a + t.length, 0);
    return chunk;
  }

  chatChunk(tokens: readonly Scored[]): ChatLogprobs {
    return chatContent(this.engine, tokens);
  }
}
