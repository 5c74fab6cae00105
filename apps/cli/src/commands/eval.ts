// gptj eval: LAMBADA-style scoring of {context, continuation} pairs from a JSONL file.
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { CliError } from '../errors.js';
import { parseJsonLine, writeOut } from '../io.js';
import { loadModelForCli, loadTokenizer, type RuntimeFlags } from '../load.js';
import { integer } from '../options.js';
import { createProgress } from '../progress.js';
import { scoreContinuation, splitEncode, summarize, type EvalTotals } from '../eval-score.js';
import { addModelOption, addRuntimeOptions } from './shared-options.js';

interface EvalFlags extends RuntimeFlags {
  file: string;
  limit?: number;
  perExample?: boolean;
  json?: boolean;
}

interface Pair {
  context: string;
  continuation: string;
}

export async function readPairs(file: string, limit = Infinity): Promise<Pair[]> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  const pairs: Pair[] = [];
  for (let i = 0; i < lines.length && pairs.length < limit; i++) {
    if (lines[i].trim() === '') continue;
    const value = parseJsonLine(lines[i], file, i + 1) as Partial<Pair> | null;
    if (typeof value?.context !== 'string' || typeof value.continuation !== 'string' || value.continuation === '') {
      throw new CliError(`${file}:${i + 1}: expected {"context": string, "continuation": non-empty string}`);
    }
    pairs.push({ context: value.context, continuation: value.continuation });
  }
  if (pairs.length === 0) throw new CliError(`${file}: no examples`);
  return pairs;
}

export function evalCommand(): Command {
  const cmd = new Command('eval')
    .description('Score {context, continuation} pairs (JSONL): log-likelihood, greedy-match accuracy, perplexity (LAMBADA-style)')
    .requiredOption('-f, --file <jsonl>', 'one {"context": "...", "continuation": "..."} object per line');
  addModelOption(cmd);
  addRuntimeOptions(cmd);
  return cmd
    .option('--limit <n>', 'score only the first n examples', integer(1))
    .option('--per-example', 'also print one JSON line per example (log_likelihood, greedy, tokens)')
    .option('--json', 'print the summary as one JSON object')
    .addHelpText(
      'after',
      '\naccuracy: share of examples whose every continuation token is the argmax (greedy) prediction.\n' +
        'perplexity: exp(-sum log-likelihood / continuation tokens).\n' +
        'lambada_perplexity: exp(mean over examples of -log-likelihood), as lm-evaluation-harness reports LAMBADA\n' +
        '(GPT-J 6B model card: 3.99, accuracy 69.7%). Tokenization follows the harness: a trailing space of the context\n' +
        'moves to the continuation, and the continuation ids are the tail of encode(context + continuation).',
    )
    .action(async (flags: EvalFlags) => {
      const pairs = await readPairs(flags.file, flags.limit);
      const { model, source } = await loadModelForCli(flags);
      const tokenizer = await loadTokenizer(source);
      const progress = createProgress();
      const totals: EvalTotals = { examples: 0, greedyMatches: 0, logLikelihood: 0, continuationTokens: 0, nllPerExample: [] };
      const lines: string[] = [];
      try {
        for (const [n, pair] of pairs.entries()) {
          const { contextIds, continuationIds } = splitEncode((t) => tokenizer.encode(t), pair.context, pair.continuation, model.eosTokenId ?? tokenizer.eosTokenId);
          if (continuationIds.length > model.maxLength) throw new CliError(`${flags.file}: example ${n + 1}: continuation has ${continuationIds.length} tokens, more than the context of ${model.maxLength}`);
          // The model sees context + continuation minus its last token, keeping the most recent maxLength tokens.
          const input = [...contextIds, ...continuationIds].slice(0, -1).slice(-model.maxLength);
          const logits = await model.forward([input]);
          let score;
          try {
            score = scoreContinuation(logits.toFloat32Array(), model.vocabSize, input.length - continuationIds.length, continuationIds);
          } finally {
            logits.dispose();
          }
          totals.examples++;
          totals.greedyMatches += score.greedy ? 1 : 0;
          totals.logLikelihood += score.logLikelihood;
          totals.continuationTokens += continuationIds.length;
          totals.nllPerExample.push(-score.logLikelihood);
          if (flags.perExample) lines.push(JSON.stringify({ index: n, log_likelihood: score.logLikelihood, greedy: score.greedy, tokens: continuationIds.length }));
          progress.update('eval', n + 1, pairs.length);
        }
      } finally {
        progress.stop();
        model.dispose();
      }
      const summary = summarize(totals);
      if (flags.json || flags.perExample) {
        await writeOut([...lines, JSON.stringify(summary)].join('\n') + '\n');
      } else {
        await writeOut(
          `examples     ${summary.examples}\naccuracy     ${(summary.accuracy * 100).toFixed(2)}%\nperplexity   ${summary.perplexity.toFixed(4)} (per token, ${summary.continuation_tokens} tokens)\n` +
            `lambada ppl  ${summary.lambada_perplexity.toFixed(4)} (per example)\nlog-lik      ${summary.log_likelihood.toFixed(4)}\n`,
        );
      }
    });
}
