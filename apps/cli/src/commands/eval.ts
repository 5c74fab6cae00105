// gptj eval: lm-evaluation-harness-style scoring with @gptj/model's loglikelihood. A JSONL file of
// {context, continuation} pairs (LAMBADA: loglikelihood, greedy match, perplexities) or of
// {context, choices, label} items (multiple choice: acc, acc_norm), or --perplexity FILE: rolling-window
// perplexity of a text.
import { writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import type { GPTJModel } from '@gptj/model';
import type { Tokenizer } from '@gptj/tokenizer';
import { UsageError } from '../errors.js';
import { type ChoiceItem, type Pair, readEvalFile } from '../eval-data.js';
import { summarize } from '../eval-score.js';
import { onInterrupt } from '../interrupts.js';
import { writeErr, writeOut } from '../io.js';
import { loadModelForCli, loadTokenizer, type RuntimeFlags } from '../load.js';
import { integer } from '../options.js';
import { createProgress, type Progress } from '../progress.js';
import { addModelOption, addRuntimeOptions } from './shared-options.js';

interface EvalFlags extends RuntimeFlags {
  file?: string;
  perplexity?: string;
  stride?: number;
  maxLength?: number;
  batchSize: number;
  limit?: number;
  perExample?: boolean;
  json?: boolean;
}

interface Run {
  model: GPTJModel;
  tokenizer: Tokenizer;
  flags: EvalFlags;
  progress: Progress;
}

export function evalCommand(): Command {
  const cmd = new Command('eval')
    .description(
      'Score a JSONL file the way lm-evaluation-harness does ({context, continuation} pairs or multiple-choice {context, choices, label}), or the rolling perplexity of a text',
    )
    .option('-f, --file <jsonl>', 'one {"context", "continuation"} pair or one {"context", "choices", "label"} item per line')
    .option('--perplexity <file>', 'instead: the rolling-window perplexity of this text file');
  addModelOption(cmd);
  addRuntimeOptions(cmd);
  return cmd
    .option('--stride <n>', '--perplexity: tokens between window starts (default: half the window)', integer(1))
    .option('--max-length <n>', "--perplexity: window length (default: the model's context)", integer(2))
    .option('--batch-size <n>', 'sequences per forward pass', integer(1, 4096), 8)
    .option('--limit <n>', 'score only the first n examples', integer(1))
    .option('--per-example', 'also print one JSON line per example')
    .option('--json', 'print the summary as one JSON object')
    .addHelpText(
      'after',
      '\nPairs: accuracy = share of examples whose every continuation token is the argmax (greedy) prediction;\n' +
        'perplexity = exp(-sum log-likelihood / continuation tokens); lambada_perplexity = exp(mean over examples of\n' +
        "-log-likelihood), the harness's LAMBADA figure (GPT-J 6B model card: 3.99, accuracy 69.7%).\n" +
        'Multiple choice: each choice is scored as the continuation " " + choice; acc picks the highest loglikelihood,\n' +
        "acc_norm the highest per character of the choice (the harness's acc_norm), acc_norm_tokens per token.\n" +
        'Tokenization follows the harness: a trailing space of the context moves to the continuation, the continuation\n' +
        'ids are the tail of encode(context + continuation), an empty context is <|endoftext|>.\n' +
        '--perplexity: windows of --max-length tokens every --stride tokens, each scoring only its new tokens\n' +
        "(transformers' perplexity guide); ppl = exp(mean negative log-likelihood).",
    )
    .action(async (flags: EvalFlags) => {
      if ((flags.file === undefined) === (flags.perplexity === undefined)) throw new UsageError('give either --file or --perplexity');
      if (flags.file === undefined && flags.limit !== undefined) throw new UsageError('--limit applies to --file');
      if (flags.perplexity === undefined && (flags.stride !== undefined || flags.maxLength !== undefined))
        throw new UsageError('--stride and --max-length apply to --perplexity');
      const data = flags.file === undefined ? null : await readEvalFile(flags.file, flags.limit);
      const text = flags.perplexity === undefined ? null : await readFile(flags.perplexity, 'utf8');
      const { model, source } = await loadModelForCli(flags);
      const run: Run = { model, tokenizer: await loadTokenizer(source), flags, progress: createProgress() };
      try {
        if (data?.kind === 'pairs') await scorePairs(run, data.pairs);
        else if (data?.kind === 'choices') await scoreChoices(run, data.items);
        else await scorePerplexity(run, text!);
      } finally {
        run.progress.stop();
        model.dispose();
      }
    });
}

async function scorePairs({ model, tokenizer, flags, progress }: Run, pairs: Pair[]): Promise<void> {
  const { encodePair, loglikelihood } = await import('@gptj/model');
  const eos = model.eosTokenId ?? tokenizer.eosTokenId;
  const requests = pairs.map((p) => encodePair((t) => tokenizer.encode(t), p.context, p.continuation, eos));
  const results = (scores: Awaited<ReturnType<typeof loglikelihood>>): Report => {
    const summary = summarize(scores.map((s) => ({ logprob: s.logprob, isGreedy: s.isGreedy, tokens: s.tokenLogprobs.length })));
    return {
      perExample: scores.map((s, index) => ({ index, log_likelihood: s.logprob, greedy: s.isGreedy, tokens: s.tokenLogprobs.length })),
      summary,
      table: () =>
        `examples     ${summary.examples}\naccuracy     ${pct(summary.accuracy)}\nperplexity   ${summary.perplexity.toFixed(4)} (per token, ${summary.continuation_tokens} tokens)\n` +
        `lambada ppl  ${summary.lambada_perplexity.toFixed(4)} (per example)\nlog-lik      ${summary.log_likelihood.toFixed(4)}\n`,
    };
  };
  const scores = await inSlices(flags, 'examples', requests, results, (slice, offset) =>
    loglikelihood(model, slice, { batchSize: flags.batchSize, onProgress: (p) => progress.update('eval', offset + p.done, requests.length) }),
  );
  progress.stop();
  await writeOut(reportText(flags, results(scores)));
}

async function scoreChoices({ model, tokenizer, flags, progress }: Run, items: ChoiceItem[]): Promise<void> {
  const { multipleChoiceAccuracy, scoreMultipleChoice } = await import('@gptj/model');
  const results = (scored: Awaited<ReturnType<typeof scoreMultipleChoice>>): Report => {
    const acc = multipleChoiceAccuracy(
      scored,
      items.slice(0, scored.length).map((i) => i.label),
    );
    const summary = { examples: scored.length, acc: acc.acc, acc_norm: acc.accNorm, acc_norm_tokens: acc.accNormTokens };
    return {
      perExample: scored.map((r, index) => ({
        index,
        label: items[index]!.label, // one result per item, in order
        pred: r.pred,
        pred_norm: r.predNorm,
        pred_norm_tokens: r.predNormTokens,
        loglikelihoods: r.loglikelihoods,
        tokens: r.tokenCounts,
      })),
      summary,
      table: () =>
        `examples         ${summary.examples}\nacc              ${pct(summary.acc)}\nacc_norm         ${pct(summary.acc_norm)} (loglikelihood per character)\n` +
        `acc_norm_tokens  ${pct(summary.acc_norm_tokens)} (loglikelihood per token)\n`,
    };
  };
  const scored = await inSlices(flags, 'examples', items, results, (slice, offset) =>
    scoreMultipleChoice(model, slice, {
      encode: (t) => tokenizer.encode(t),
      eosTokenId: model.eosTokenId ?? tokenizer.eosTokenId,
      batchSize: flags.batchSize,
      onProgress: (p) => progress.update('eval', offset + p.done, items.length, 'choices'),
    }),
  );
  progress.stop();
  await writeOut(reportText(flags, results(scored)));
}

// Examples (or windows) per slice, in batches: an interrupt loses at most one slice of work; batching within a slice is unchanged.
const SLICE_BATCHES = 8;

/**
 * Scores `items` (examples, or perplexity windows) a slice at a time so that Ctrl-C / SIGTERM can print the summary
 * of those scored so far (marked interrupted, with the total: `examples_total` / `windows_total`) before the process
 * exits.
 */
async function inSlices<T, R>(
  flags: EvalFlags,
  unit: 'examples' | 'windows',
  items: readonly T[],
  results: (done: R[]) => Report,
  score: (slice: T[], offset: number) => Promise<R[]>,
): Promise<R[]> {
  const done: R[] = [];
  const drop = onInterrupt(() => {
    writeErr(`gptj: interrupted: ${done.length} of ${items.length} ${unit} scored; the summary covers those\n`);
    if (done.length === 0) return;
    const r = results(done);
    writeSync(1, reportText(flags, { ...r, summary: { ...r.summary, interrupted: true, [`${unit}_total`]: items.length } }));
  });
  try {
    const size = flags.batchSize * SLICE_BATCHES;
    for (let offset = 0; offset < items.length; offset += size) done.push(...(await score(items.slice(offset, offset + size), offset)));
  } finally {
    drop();
  }
  return done;
}

async function scorePerplexity({ model, tokenizer, flags, progress }: Run, text: string): Promise<void> {
  const { loglikelihood, perplexityOf, perplexityPlan } = await import('@gptj/model');
  const ids = tokenizer.encode(text);
  const plan = perplexityPlan(model, ids, {
    ...(flags.maxLength !== undefined ? { maxLength: flags.maxLength } : {}),
    ...(flags.stride !== undefined ? { stride: flags.stride } : {}),
  });
  const results = (scores: Awaited<ReturnType<typeof loglikelihood>>): Report => {
    const r = perplexityOf(plan, scores);
    const summary = {
      text_tokens: ids.length,
      scored_tokens: r.tokens,
      windows: r.windows,
      max_length: r.maxLength,
      stride: r.stride,
      nll: r.nll,
      perplexity: r.perplexity,
    };
    return {
      perExample: [],
      summary,
      table: () =>
        `perplexity  ${summary.perplexity.toFixed(4)}\ntokens      ${summary.scored_tokens} scored of ${summary.text_tokens}, in ${summary.windows} windows of ${summary.max_length} (stride ${summary.stride})\n` +
        `nll         ${summary.nll.toFixed(4)}\n`,
    };
  };
  // windows in slices, like examples: Ctrl-C prints the perplexity of the windows scored so far
  const scores = await inSlices(flags, 'windows', plan.requests, results, (slice, offset) =>
    loglikelihood(model, slice, { batchSize: flags.batchSize, onProgress: (p) => progress.update('windows', offset + p.done, plan.requests.length) }),
  );
  progress.stop();
  await writeOut(reportText(flags, results(scores)));
}

interface Report {
  perExample: object[];
  summary: object;
  table: () => string;
}

/** Per-example JSON lines then the summary as JSON (--json, --per-example), else the human-readable table. */
function reportText(flags: EvalFlags, { perExample, summary, table }: Report): string {
  if (!flags.json && !flags.perExample) return table();
  const lines = flags.perExample ? perExample.map((e) => JSON.stringify(e)) : [];
  return [...lines, JSON.stringify(summary)].join('\n') + '\n';
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}
