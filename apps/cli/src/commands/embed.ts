// gptj embed: hidden-state features (embeddings) of texts, through @gptj/model's embed (sorted micro-batches,
// left padding masked out, results in input order).
import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import { readEmbedInputs } from '../embed-input.js';
import { onInterrupt } from '../interrupts.js';
import { writeErr, writeOut } from '../io.js';
import { loadModelForCli, loadTokenizer, type RuntimeFlags } from '../load.js';
import { integer } from '../options.js';
import { createProgress } from '../progress.js';
import { addModelOption, addRuntimeOptions } from './shared-options.js';

interface EmbedFlags extends RuntimeFlags {
  file?: string;
  pooling: 'mean' | 'last';
  layer?: number;
  normalize?: boolean;
  batchSize: number;
  format: 'json' | 'f32';
  out?: string;
}

export function embedCommand(): Command {
  const cmd = new Command('embed')
    .description('Embed texts: pooled hidden states of a layer (default: the final one, after ln_f), one vector per input')
    .argument('[texts...]', 'texts to embed, one vector each (default: --file, else all of stdin as one text)')
    .option('-f, --file <jsonl>', 'one input per line: a JSON string, {"text": "..."} or {"ids": [token ids]}')
    .addOption(new Option('--pooling <how>', 'mean over the tokens, or the last token').choices(['mean', 'last']).default('mean'))
    .option(
      '--layer <n>',
      'hidden state index as transformers output_hidden_states: 0 = embeddings, i = input of block i, n_layer or -1 = after ln_f',
      integer(-Number.MAX_SAFE_INTEGER),
    )
    .option('--normalize', 'scale every vector to unit L2 norm')
    .option('--batch-size <n>', 'inputs per forward pass', integer(1, 4096), 8)
    .addOption(
      new Option('--format <format>', 'json: one {"index", "tokens", "embedding"} line per input; f32: raw little-endian float32 [N, n_embd] to --out')
        .choices(['json', 'f32'])
        .default('json'),
    )
    .option('-o, --out <file>', 'write the vectors to this file instead of stdout (required for --format f32)');
  addModelOption(cmd);
  addRuntimeOptions(cmd);
  return cmd
    .addHelpText(
      'after',
      '\nExamples:\n  gptj embed "def f(x):" "import os" --normalize\n  gptj embed --file texts.jsonl --format f32 --out vectors.f32 --layer -2',
    )
    .action(async (texts: string[], flags: EmbedFlags) => {
      if (flags.format === 'f32' && flags.out === undefined) throw new UsageError('--format f32 writes binary: give --out <file>');
      const inputs = await readEmbedInputs(texts, flags.file);
      const { model, source } = await loadModelForCli(flags);
      const tokenizer = await loadTokenizer(source);
      const progress = createProgress();
      const ids = inputs.map((x) => (typeof x === 'string' ? tokenizer.encode(x) : x));
      // Ctrl-C: say how far it got and exit 130, leaving no half-written --out behind
      let done = 0;
      let writing = false;
      const drop = onInterrupt(() => {
        writeErr(`gptj: interrupted: ${done} of ${ids.length} inputs embedded; nothing written\n`);
        if (writing && flags.out !== undefined) rmSync(flags.out, { force: true });
      });
      try {
        const { embed } = await import('@gptj/model');
        const vectors = await embed(model, ids, {
          pooling: flags.pooling,
          normalize: flags.normalize ?? false,
          batchSize: flags.batchSize,
          ...(flags.layer !== undefined ? { layer: flags.layer } : {}),
          onProgress: (p) => {
            done = p.done;
            progress.update('embed', p.done, p.total);
          },
        });
        progress.stop();
        writing = true;
        if (flags.format === 'f32') {
          const data = new Float32Array(vectors.length * model.config.nEmbd);
          vectors.forEach((v, i) => data.set(v, i * model.config.nEmbd));
          // Float32Array is host-endian; every platform Node supports here is little-endian, as the format says.
          await writeFile(flags.out!, new Uint8Array(data.buffer));
          await writeOut(`${JSON.stringify({ shape: [vectors.length, model.config.nEmbd] })}\n`);
        } else {
          // one vector per input, in order
          const lines = vectors.map((v, index) => `${JSON.stringify({ index, tokens: ids[index]!.length, embedding: Array.from(v) })}\n`).join('');
          await (flags.out === undefined ? writeOut(lines) : writeFile(flags.out, lines));
        }
      } finally {
        drop();
        progress.stop();
        model.dispose();
      }
    });
}
