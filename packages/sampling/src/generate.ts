import { beamLoop } from './beam-loop.js';
import { decodeLoop } from './decode-loop.js';
import { InvalidModelError, InvalidOptionError } from './errors.js';
import type { FinishReason, GenerationEvent, GenerationSummary, GenerationTiming, GenerationUsage } from './events.js';
import type { CausalLM, TextTokenizer } from './interfaces.js';
import { GPTJ_UNUSED_TOKEN_RANGE, parseGenerateOptions, type GenerateOptions, type ResolvedOptions } from './options.js';
import { buildPipeline } from './pipeline.js';
import { checkContext, promptIds, type Prompt } from './prompts.js';
import type { GenerationRun } from './run.js';
import { decodingStrategy } from './strategy.js';

/**
 * Generates continuations of one prompt or a batch, streaming events: a `token` event per generated token (with
 * the text it releases) and one `done` event per output row. Options, prompts and the context length are checked
 * when `generate` is called, before any work; the KV cache session is disposed however the iteration ends
 * (finished, aborted through `signal`, consumer `break`, or an error). The iterator's return value holds usage and
 * timing.
 */
export function generate(
  model: CausalLM,
  tokenizer: TextTokenizer,
  prompt: Prompt,
  options: GenerateOptions = {},
): AsyncGenerator<GenerationEvent, GenerationSummary, undefined> {
  const run = prepare(model, tokenizer, prompt, options);
  switch (run.strategy.kind) {
    case 'beam':
      return beamLoop(run, run.strategy);
    case 'greedy':
    case 'multinomial':
      return decodeLoop(run, run.strategy);
  }
}

export interface GeneratedRow {
  /** Generated token ids (EOS excluded; with a stop string, the tokens that formed it are included). */
  ids: number[];
  /** Generated text (stop string and anything after it excluded). */
  text: string;
  finishReason: FinishReason;
  /** Beam search: the hypothesis' length-normalised log-probability. */
  score?: number;
  /** With `logprobs: true`: the log-probability of each id. */
  logprobs?: number[];
}

export interface GenerateTextResult {
  /** Output rows: prompt p's j-th sequence is row p * numReturnSequences + j. */
  rows: GeneratedRow[];
  usage: GenerationUsage;
  timing: GenerationTiming;
  /** Multinomial sampling: the seed used (given or drawn at random). */
  seed?: number | readonly number[];
}

/** `generate`, collected: every row's ids, text and finish reason, with usage and timing. */
export async function generateText(model: CausalLM, tokenizer: TextTokenizer, prompt: Prompt, options: GenerateOptions = {}): Promise<GenerateTextResult> {
  const it = generate(model, tokenizer, prompt, options);
  const rows: GeneratedRow[] = [];
  const rowAt = (r: number): GeneratedRow => (rows[r] ??= { ids: [], text: '', finishReason: 'length' });
  for (;;) {
    const next = await it.next();
    if (next.done) return { rows, ...next.value };
    const e = next.value;
    const row = rowAt(e.row);
    row.text += e.text;
    if (e.type === 'token') {
      row.ids.push(e.id);
      if (e.logprob !== undefined) (row.logprobs ??= []).push(e.logprob);
    } else {
      row.finishReason = e.finishReason;
      if (e.score !== undefined) row.score = e.score;
    }
  }
}

/** Validates and resolves one call's options and prompts (shared with the Scheduler's submit). */
export function prepare(model: CausalLM, tokenizer: TextTokenizer, prompt: Prompt, options: GenerateOptions): GenerationRun {
  const o = parseGenerateOptions(options);
  const V = model.vocabSize;
  const eosTokenIds = o.eosTokenId === undefined ? modelEos(model) : o.eosTokenId === null ? [] : [o.eosTokenId].flat();
  checkTokenIds(o, eosTokenIds, V);
  const maskedTokenRange = o.maskedTokenRange === undefined ? (V === 50400 ? GPTJ_UNUSED_TOKEN_RANGE : null) : o.maskedTokenRange;
  if (maskedTokenRange && maskedTokenRange[1] > V) {
    throw new InvalidOptionError('maskedTokenRange', `end ${maskedTokenRange[1]} is beyond the vocabulary (${V} logits)`);
  }
  const prompts = promptIds(prompt, tokenizer, V);
  const rowsOut = prompts.length * o.numReturnSequences;
  if (Array.isArray(o.seed) && o.numBeams === 1 && o.seed.length !== rowsOut) {
    throw new InvalidOptionError('seed', `${o.seed.length} seeds given for ${rowsOut} output rows (prompts x numReturnSequences)`);
  }
  checkContext(prompts, o.maxNewTokens, model.maxLength);
  return {
    model,
    tokenizer,
    prompts,
    options: o,
    strategy: decodingStrategy(o),
    eosTokenIds,
    pipeline: buildPipeline(o, eosTokenIds, maskedTokenRange),
    stops: o.stop === undefined ? [] : [o.stop].flat(),
    padId: eosTokenIds[0] ?? 0,
  };
}

/** The model's own EOS id; one outside its vocabulary is the model's fault (its config), not an option error. */
function modelEos(model: CausalLM): number[] {
  const id = model.eosTokenId;
  if (id === null) return [];
  if (!(Number.isInteger(id) && id >= 0 && id < model.vocabSize)) {
    throw new InvalidModelError(
      `the model's EOS token id ${id} is outside its vocabulary [0, ${model.vocabSize}) (eos_token_id in its config); ` + 'fix the config or pass eosTokenId',
    );
  }
  return [id];
}

/** Token ids inside options must exist in the model's vocabulary. */
function checkTokenIds(o: ResolvedOptions, eosTokenIds: readonly number[], V: number): void {
  const bad = (option: string, id: number) => new InvalidOptionError(option, `token id ${id} is outside the vocabulary [0, ${V})`);
  for (const id of eosTokenIds) if (id >= V) throw bad('eosTokenId', id);
  for (const key of Object.keys(o.logitBias ?? {})) if (Number(key) >= V) throw bad('logitBias', Number(key));
  for (const seq of o.badWordsIds ?? []) for (const id of seq) if (id >= V) throw bad('badWordsIds', id);
  for (const [seq] of o.sequenceBias ?? []) for (const id of seq) if (id >= V) throw bad('sequenceBias', id);
}
