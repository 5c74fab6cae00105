// `--json-output`: generation constrained to one JSON object (@gptj/sampling's JsonLogitsProcessor).
import type { GPTJModel } from '@gptj/model';
import type { LogitsProcessor } from '@gptj/sampling';
import type { Tokenizer } from '@gptj/tokenizer';
import { CliError } from './errors.js';

/** The processor for the loaded model; the generation ends with the model's EOS once the object is closed. */
export async function jsonOutputProcessor(model: GPTJModel, tokenizer: Tokenizer): Promise<LogitsProcessor> {
  const eos = model.eosTokenId;
  if (eos === null) throw new CliError("--json-output: the model's config.json names no eos_token_id, so a finished JSON value could not end the generation");
  const { JsonLogitsProcessor } = await import('@gptj/sampling');
  return new JsonLogitsProcessor({ tokenizer, vocabSize: model.vocabSize, eosTokenIds: [eos] });
}

/**
 * What to tell the user when the output is not one complete JSON value (a row cut off by --max-new-tokens or a
 * --stop string; one whose value closed on the last allowed token is complete, though its EOS did not fit).
 */
export function incompleteJsonNote(text: string, finishReason: string, maxNewTokens: number): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch {
    const why =
      finishReason === 'length' ? `--max-new-tokens ${maxNewTokens} was reached` : finishReason === 'stop' ? 'a --stop string ended it' : 'it was interrupted';
    return `gptj: the JSON value is incomplete: ${why} before it closed\n`;
  }
}
