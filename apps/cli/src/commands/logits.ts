// gptj logits: one forward pass over a batch of id rows, raw float32 logits to a file. For parity checks against
// other implementations (the fixture logits of transformers, for one).
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { CliError, UsageError } from '../errors.js';
import { writeOut } from '../io.js';
import { loadModelForCli, type RuntimeFlags } from '../load.js';
import { collect, idList, maskList } from '../options.js';
import { addModelOption, addRuntimeOptions } from './shared-options.js';

interface LogitsFlags extends RuntimeFlags {
  ids: number[][];
  attentionMask?: number[][];
  out: string;
}

/** Checks that rows are rectangular and the mask matches them; returns [B, T]. */
export function checkBatch(ids: number[][], mask: number[][] | undefined): [number, number] {
  const [first] = ids;
  if (first === undefined) throw new UsageError('--ids: at least one row is needed');
  const t = first.length;
  ids.forEach((row, i) => {
    if (row.length !== t)
      throw new UsageError(`--ids: every row must have the same length (row 0 has ${t}, row ${i} has ${row.length}); left-pad and pass --attention-mask`);
  });
  if (mask !== undefined) {
    if (mask.length !== ids.length) throw new UsageError(`--attention-mask: ${mask.length} rows given for ${ids.length} --ids rows`);
    mask.forEach((row, i) => {
      if (row.length !== t) throw new UsageError(`--attention-mask: row ${i} has ${row.length} values, the ids rows have ${t}`);
      if (!row.includes(1)) throw new UsageError(`--attention-mask: row ${i} masks out every position`);
    });
  }
  return [ids.length, t];
}

export function logitsCommand(): Command {
  const cmd = new Command('logits')
    .description('Run one forward pass and write the logits [B,T,V] as little-endian float32 to a file')
    .requiredOption('--ids <ids>', 'one row of comma-separated token ids (repeat for a batch; rows of equal length)', collect(idList))
    .option('--attention-mask <mask>', 'one row of 0/1 values per --ids row (0 = left padding)', collect(maskList))
    .requiredOption('-o, --out <file>', 'where to write the raw float32 logits, row-major [B,T,V]');
  addModelOption(cmd);
  addRuntimeOptions(cmd);
  return cmd
    .addHelpText(
      'after',
      '\nPrints {"shape":[B,T,V]} on stdout.\n\nExample:\n  gptj logits --model ./gpt-j-6b --ids 15496,11,995 --ids 40,1101,257 --out logits.f32',
    )
    .action(async (flags: LogitsFlags) => {
      const [b, t] = checkBatch(flags.ids, flags.attentionMask);
      const { model } = await loadModelForCli(flags);
      try {
        if (t > model.maxLength) throw new CliError(`--ids: rows have ${t} tokens, more than the model's context of ${model.maxLength}`);
        const logits = await model.forward(flags.ids, flags.attentionMask ? { attentionMask: flags.attentionMask } : undefined);
        try {
          const data = logits.toFloat32Array();
          // NaN/+Infinity logits (e.g. from non-finite weights) fail as `generate` fails on them, before a file is written;
          // padded positions are unspecified and not checked
          const { checkLogits } = await import('@gptj/sampling');
          const v = data.length / (b * t);
          for (let row = 0; row < b * t; row++) {
            const [bi, ti] = [Math.floor(row / t), row % t];
            if (flags.attentionMask?.[bi]![ti] !== 0) checkLogits(data.subarray(row * v, (row + 1) * v), bi);
          }
          // Float32Array is host-endian; every platform Node supports here is little-endian, as the file format says.
          await writeFile(flags.out, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
          await writeOut(`${JSON.stringify({ shape: [b, t, v] })}\n`);
        } finally {
          logits.dispose();
        }
      } finally {
        model.dispose();
      }
    });
}
