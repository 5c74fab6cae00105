// gptj generate: text in, text out, streamed as it is produced.
import { Command } from 'commander';
import { CliError, ExitCode, UsageError } from '../errors.js';
import { readStdin, writeErr, writeOut } from '../io.js';
import { loadModelForCli, loadTokenizer, type RuntimeFlags } from '../load.js';
import { incompleteJsonNote, jsonOutputProcessor } from '../json-output.js';
import { collect, idList, integer, nonEmpty, real } from '../options.js';
import { checkGenerateOptions, runGeneration, toGenerateOptions, type ExplicitFlag, type SamplingFlags } from '../generation.js';
import { addModelOption, addRuntimeOptions } from './shared-options.js';

export interface GenerateFlags extends RuntimeFlags, SamplingFlags {
  promptIds?: number[];
  json?: boolean;
  jsonOutput?: boolean;
}

export function generateCommand(): Command {
  const cmd = new Command('generate')
    .description('Generate a continuation of a prompt, streamed to stdout')
    .argument('[prompt]', 'the prompt text (default: read from stdin)');
  addModelOption(cmd);
  cmd
    .optionsGroup('Generation options:')
    .option('--prompt-ids <ids>', 'the prompt as comma-separated token ids instead of text', idList)
    .option('-n, --max-new-tokens <n>', 'tokens to generate at most', integer(1), 128)
    .option('-t, --temperature <t>', 'sampling temperature; 0 = greedy (argmax)', real(0, Infinity), 0.8)
    .option('--top-k <k>', 'keep the k most likely tokens (0 = off)', integer(0))
    .option('--top-p <p>', 'nucleus sampling: keep the smallest set with probability >= p', real(0, 1, true))
    .option('--typical-p <p>', 'locally typical sampling mass', real(0, 1, true))
    .option('--min-p <p>', 'drop tokens less likely than p x the most likely one', real(0, 1))
    .option('--repetition-penalty <r>', 'divide positive logits / multiply negative ones of seen tokens by r (1 = off)', real(0, Infinity, true))
    .option('--presence-penalty <x>', 'subtract x from the logits of tokens already present (OpenAI)', real(-2, 2))
    .option('--frequency-penalty <x>', 'subtract x * count from the logits of tokens already present (OpenAI)', real(-2, 2))
    .option('--seed <n>', 'random seed: the same seed gives the same output', integer(0, 2 ** 32 - 1))
    .option('--stop <text>', 'stop when this text is generated; it is not printed (repeatable)', collect(nonEmpty))
    .option('--num-beams <n>', 'beam search with n beams (1 = off; output is printed at the end)', integer(1, 64), 1)
    .option('--length-penalty <x>', 'beam search: score = logprob sum / length^x (default 1)', real(-10, 10))
    .option('--early-stopping', 'beam search: stop once num-beams hypotheses are finished (HF early_stopping=True)')
    .option('--json-output', 'constrain the output to one JSON object (grammar-constrained decoding; ends at EOS once the object closes)');
  addRuntimeOptions(cmd);
  return cmd
    .option('--json', 'print exactly one JSON object on stdout (ids, text, finish_reason, usage, timing)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  gptj generate "# Copyright" --temperature 0 --max-new-tokens 48\n' +
        "  echo 'def fibonacci(n):' | gptj generate --top-p 0.9 --seed 1 --stop $'\\n\\n'\n" +
        "  gptj generate 'config = ' --json-output --max-new-tokens 64\n" +
        '  gptj generate --model EleutherAI/gpt-j-6b --dtype f16 --device cuda "The meaning of life is"',
    )
    .action(async (promptArg: string | undefined, flags: GenerateFlags, command: Command) => {
      if (promptArg !== undefined && flags.promptIds !== undefined) throw new UsageError('give either a PROMPT or --prompt-ids, not both');
      const promptText = flags.promptIds === undefined ? (promptArg ?? (await readStdin('prompt'))) : undefined;
      const explicit: ExplicitFlag = (name) => command.getOptionValueSource(name) === 'cli';
      await checkGenerateOptions(toGenerateOptions(flags, explicit), explicit); // before a model of gigabytes loads
      const { model, source, loadMs } = await loadModelForCli(flags);
      try {
        const tokenizer = await loadTokenizer(source);
        const promptIds = flags.promptIds ?? (promptText === '' ? unconditionalPrompt(model.config) : tokenizer.encode(promptText ?? ''));
        checkPrompt(promptIds, flags, model.vocabSize, model.maxLength);
        // Ctrl-C stops generation cleanly: the rows finish with reason "abort", the summary is printed, exit 130.
        const abort = new AbortController();
        const onSigint = () => abort.abort();
        process.once('SIGINT', onSigint);
        const options = toGenerateOptions(flags, explicit, abort.signal);
        if (flags.jsonOutput) options.logitsProcessors = [await jsonOutputProcessor(model, tokenizer)];
        const streaming = !flags.json && flags.numBeams === 1;
        let result;
        try {
          result = await runGeneration(model, tokenizer, promptIds, options, explicit, streaming ? (delta) => void process.stdout.write(delta) : undefined);
        } finally {
          process.off('SIGINT', onSigint);
        }
        if (result.finishReason === 'abort') process.exitCode = ExitCode.interrupted;
        const incomplete = flags.jsonOutput ? incompleteJsonNote(result.text, result.finishReason, flags.maxNewTokens) : null;
        const timing = { load_ms: round(loadMs), ...result.timing };
        if (flags.json) {
          await writeOut(
            `${JSON.stringify({
              prompt_ids: promptIds,
              ids: result.ids,
              text: result.text,
              finish_reason: result.finishReason,
              ...(result.seed === undefined ? {} : { seed: result.seed }),
              ...(flags.jsonOutput ? { json_complete: incomplete === null } : {}),
              usage: { prompt_tokens: promptIds.length, completion_tokens: result.ids.length },
              timing,
            })}\n`,
          );
        } else {
          // --json puts everything on stdout; the human summary goes to stderr only without it
          await writeOut(streaming ? '\n' : `${result.text}\n`);
          const seed = result.seed === undefined ? '' : ` · seed ${result.seed}`;
          writeErr(
            `gptj: ${tokens(result.ids.length)} (${result.finishReason}) · prompt ${tokens(promptIds.length)} · ` +
              `prefill ${timing.prefill_tokens_per_second} tok/s · decode ${timing.decode_tokens_per_second} tok/s · load ${(loadMs / 1e3).toFixed(2)} s${seed}\n`,
          );
          if (incomplete) writeErr(incomplete);
        }
      } finally {
        model.dispose();
      }
    });
}

/** Errors the prompt can cause, named in the CLI's own terms (flags), before any work starts. */
function checkPrompt(ids: number[], flags: GenerateFlags, vocabSize: number, maxLength: number): void {
  if (ids.length === 0) throw new UsageError('the prompt is empty');
  const bad = ids.find((id) => id >= vocabSize);
  if (bad !== undefined) {
    const where = flags.promptIds ? '--prompt-ids holds' : "the prompt's text encodes to";
    throw new CliError(`${where} token id ${bad}, outside the model's vocabulary of ${vocabSize} ids`);
  }
  if (ids.length >= maxLength) {
    throw new CliError(`the prompt has ${ids.length} tokens, but the model's context is ${maxLength} tokens; shorten it`);
  }
  if (ids.length + flags.maxNewTokens > maxLength) {
    throw new CliError(
      `the prompt (${ids.length} tokens) + --max-new-tokens ${flags.maxNewTokens} exceeds the model's context of ${maxLength} tokens; ` +
        `use --max-new-tokens ${maxLength - ids.length} or less`,
    );
  }
}

/**
 * An empty prompt samples unconditionally, as transformers' generate() does without input_ids: from the BOS token
 * (`<|endoftext|>` for GPT-J), or the EOS token when config.json names no BOS.
 */
function unconditionalPrompt(config: { bosTokenId: number | null; eosTokenId: number | null }): number[] {
  const id = config.bosTokenId ?? config.eosTokenId;
  if (id === null) throw new UsageError("the prompt is empty and the model's config.json names no bos_token_id or eos_token_id to start from");
  return [id];
}

function tokens(n: number): string {
  return n === 1 ? '1 token' : `${n} tokens`;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
