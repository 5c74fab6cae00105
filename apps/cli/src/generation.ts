// The bridge from `gptj generate`'s flags to @gptj/sampling: option mapping, streaming, and the collected result.
import type { GenerateOptions, CausalLM, TextTokenizer } from '@gptj/sampling';
import { CliError, UsageError } from './errors.js';

/** The generate flags that become sampling options, and whether the user set each one on the command line. */
export interface SamplingFlags {
  maxNewTokens: number;
  temperature: number;
  topK?: number;
  topP?: number;
  typicalP?: number;
  minP?: number;
  repetitionPenalty?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  stop?: string[];
  numBeams: number;
  lengthPenalty?: number;
  earlyStopping?: boolean;
}

/**
 * Sampling options from the flags. The CLI's default temperature (0.8) applies to sampling only: with --num-beams
 * it is left out unless given explicitly (beam search rejects sampling options). Without --seed @gptj/sampling draws
 * a random seed, so unseeded runs differ; the result reports the seed used. --seed with beams is a usage error:
 * beam search is deterministic and would silently ignore it.
 */
export function toGenerateOptions(flags: SamplingFlags, explicit: ExplicitFlag, signal?: AbortSignal): GenerateOptions {
  const o: GenerateOptions = { maxNewTokens: flags.maxNewTokens, numBeams: flags.numBeams };
  if (flags.numBeams === 1 || explicit('temperature')) o.temperature = flags.temperature;
  const optional = ['topK', 'topP', 'typicalP', 'minP', 'repetitionPenalty', 'presencePenalty', 'frequencyPenalty', 'lengthPenalty', 'earlyStopping'] as const;
  for (const key of optional) if (flags[key] !== undefined) Object.assign(o, { [key]: flags[key] });
  if (flags.stop && flags.stop.length > 0) o.stop = flags.stop;
  if (flags.seed !== undefined) {
    if (flags.numBeams > 1) throw new UsageError(`--seed is not used by beam search (--num-beams ${flags.numBeams} is deterministic); drop one of them`);
    o.seed = flags.seed;
  }
  if (signal) o.signal = signal;
  return o;
}

export interface GenerationResult {
  ids: number[];
  text: string;
  finishReason: 'length' | 'stop' | 'eos' | 'abort';
  /** The sampling seed (given or drawn); absent for greedy and beam search. */
  seed?: number;
  timing: { prefill_ms: number; decode_ms: number; prefill_tokens_per_second: number; decode_tokens_per_second: number };
}

/** camelCase option name of @gptj/sampling -> the flag a user types. */
function flagName(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Whether the user typed a flag (`explicit`), by camelCase option name, e.g. 'temperature'. */
export type ExplicitFlag = (name: keyof SamplingFlags) => boolean;

/**
 * An option error is a usage error naming the flag only when the user typed that flag; an option the CLI did not get
 * from the command line (a default, or a value from the model) is reported as it is, with the failure exit code.
 */
export function toCliError(err: unknown, InvalidOptionError: typeof import('@gptj/sampling').InvalidOptionError, explicit: ExplicitFlag): unknown {
  if (!(err instanceof InvalidOptionError)) return err;
  const option = err.option.split('.')[0]!; // stop.0 -> the --stop flag
  if (!explicit(option as keyof SamplingFlags)) return new CliError(err.message);
  const sep = /^(is|must|should) /.test(err.reason) ? ' ' : ': ';
  return new UsageError(`${flagName(option)}${sep}${err.reason}`);
}

/** Validates the options with @gptj/sampling before any model is loaded (same checks as `generate`). */
export async function checkGenerateOptions(options: GenerateOptions, explicit: ExplicitFlag): Promise<void> {
  const sampling = await import('@gptj/sampling');
  try {
    sampling.parseGenerateOptions(options);
  } catch (err) {
    throw toCliError(err, sampling.InvalidOptionError, explicit);
  }
}

/**
 * Runs one prompt to completion; `onText` gets each piece of text as soon as it is complete UTF-8 (and not part of
 * a possible stop string).
 */
export async function runGeneration(
  model: CausalLM,
  tokenizer: TextTokenizer,
  promptIds: number[],
  options: GenerateOptions,
  explicit: ExplicitFlag,
  onText?: (delta: string) => void,
): Promise<GenerationResult> {
  const sampling = await import('@gptj/sampling');
  let events;
  try {
    events = sampling.generate(model, tokenizer, promptIds, options);
  } catch (err) {
    // Option errors are checked before any work: report them by flag name when the user typed the flag.
    throw toCliError(err, sampling.InvalidOptionError, explicit);
  }
  const ids: number[] = [];
  let text = '';
  let finishReason: GenerationResult['finishReason'] = 'length';
  for (;;) {
    const next = await events.next();
    if (next.done) {
      const t = next.value.timing;
      const r = (x: number) => Math.round(x * 10) / 10;
      const seed = next.value.seed;
      return {
        ids,
        text,
        finishReason,
        ...(typeof seed === 'number' ? { seed } : {}),
        timing: {
          prefill_ms: r(t.prefillMs),
          decode_ms: r(t.decodeMs),
          prefill_tokens_per_second: r(t.prefillTokPerS),
          decode_tokens_per_second: r(t.decodeTokPerS),
        },
      };
    }
    const e = next.value;
    if (e.type === 'token') ids.push(e.id);
    else finishReason = e.finishReason;
    if (e.text) {
      text += e.text;
      onText?.(e.text);
    }
  }
}
