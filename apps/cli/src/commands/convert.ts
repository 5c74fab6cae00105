// gptj convert: re-save a checkpoint (safetensors or PyTorch .bin, sharded or not) as one safetensors file in
// f16, bf16, int8 or q4, streaming tensor by tensor so the source is never held in memory whole. int8 and q4 are
// @gptj/model's stored layouts: linear weights I8 + `<name>_scale` F32 [out, 1] (the per-row q8 that
// `--dtype int8` makes at load time), or U8 4-bit codes [out, in/2] + `<name>_scale` F16 [out, in/32] (the q4
// of `--dtype q4`); the embedding f16, biases and LayerNorm parameters f32.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Command, Option } from 'commander';
import type { TensorEntry, TensorSource } from '@gptj/model';
import { CliError } from '../errors.js';
import { writeOut } from '../io.js';
import { onInterrupt } from '../interrupts.js';
import { resolveToDirectory } from '../load.js';
import { resolveModelSource } from '../model-source.js';
import { createProgress } from '../progress.js';
import { addModelOption } from './shared-options.js';

interface ConvertFlags {
  model?: string;
  revision?: string;
  cacheDir?: string;
  dtype: 'f16' | 'bf16' | 'int8' | 'q4';
  out: string;
}

type HalfStored = 'F16' | 'BF16';
const HF_DTYPE = { f16: 'float16', bf16: 'bfloat16', int8: 'float16', q4: 'float16' } as const;
// config.json note for other tools: what the I8 / U8 tensors are (transformers refuses an unknown quant_method
// rather than loading the quantized values as if they were floats).
const QUANTIZATION_CONFIG = {
  int8: {
    quant_method: 'gptj-q8',
    bits: 8,
    symmetric: true,
    strategy: 'per-output-row',
    layout: '<name>.weight I8 [out, in], <name>.weight_scale F32 [out, 1]; real = int8 * scale',
  },
  q4: {
    quant_method: 'gptj-q4',
    bits: 4,
    group_size: 32,
    symmetric: true,
    layout:
      '<name>.weight U8 [out, in/2] (byte i of a 16-byte group: weight i low nibble, i+16 high), ' +
      '<name>.weight_scale F16 [out, in/32]; real = (code - 8) * scale',
  },
} as const;
// Buffers of real GPT-J checkpoints that are not weights (GUIDE section 1); they are not copied.
const KNOWN_BUFFERS = /^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/;
// Elements converted per chunk: bounds the extra memory to a few tens of MiB whatever the tensor size.
const CHUNK_ELEMENTS = 1 << 22;

export function convertCommand(): Command {
  const cmd = new Command('convert').description('Re-save a checkpoint as safetensors with f16, bf16, int8 or q4 weights');
  addModelOption(cmd);
  return cmd
    .addOption(new Option('--dtype <dtype>', 'weight dtype to store').choices(['f16', 'bf16', 'int8', 'q4']).makeOptionMandatory())
    .requiredOption('-o, --out <dir>', 'output directory (created; must not exist or be empty)')
    .addHelpText(
      'after',
      '\nWrites <out>/model.safetensors, config.json (dtype updated) and the tokenizer and generation files.\n' +
        'int8 stores every linear weight as int8 with one f32 scale per output row (<name>.weight_scale), the\n' +
        'embedding as f16 and biases and norms as f32: about half the f16 size. It loads as the same int8\n' +
        'model `--dtype int8` makes of the float checkpoint (`--dtype f32|f16|bf16` dequantizes it).\n' +
        'q4 stores them as 4-bit codes in groups of 32 with one f16 scale a group (<name>.weight_scale): 18 bytes\n' +
        'per 32 weights, about 30% of f16; it loads as the q4 model `--dtype q4` makes (CPU only).\n\n' +
        'Examples:\n  gptj convert --model EleutherAI/gpt-j-6b --dtype f16 --out ./gpt-j-6b-f16\n' +
        '  gptj convert --model ./gpt-j-6b-f16 --dtype int8 --out ./gpt-j-6b-int8',
    )
    .action(async (flags: ConvertFlags) => {
      const target = flags.dtype;
      const source = await resolveToDirectory(resolveModelSource(flags.model), flags);
      if (existsSync(flags.out) && (!statSync(flags.out).isDirectory() || readdirSync(flags.out).length > 0)) {
        throw new CliError(`--out ${flags.out}: exists and is not an empty directory`);
      }
      const model = await import('@gptj/model');
      const tensor = await import('@gptj/tensor');
      // through the model's reader: a FIFO or device as config.json is refused instead of blocking the read
      const configText = model.readConfigText(source.path);
      const config = model.parseGPTJConfigText(configText);
      const configJson = JSON.parse(configText) as Record<string, unknown>;
      const ckpt = await model.openCheckpoint(source.path);
      // Everything is written into a staging directory next to --out, renamed to --out once complete: an
      // interrupted run leaves no --out behind, and the staging directory of a killed run is removed here.
      const staging = join(dirname(flags.out), `.${basename(flags.out)}.gptj-partial`);
      rmSync(staging, { recursive: true, force: true });
      const dropStaging = onInterrupt(() => rmSync(staging, { recursive: true, force: true }));
      const progress = createProgress();
      try {
        const quantized = [...ckpt.tensors.values()].find((e) => e.dtype === 'I8' || e.dtype === 'U8');
        if (quantized)
          throw new CliError(
            `${source.path}: already ${quantized.dtype === 'I8' ? 'an int8' : 'a q4'} checkpoint (${quantized.name} is ${quantized.dtype}); convert from a float checkpoint`,
          );
        if (target === 'q4' && (config.nEmbd % 32 !== 0 || config.nInner % 32 !== 0))
          throw new CliError(`--dtype q4 needs n_embd and n_inner multiples of 32 (its groups), this model has ${config.nEmbd} and ${config.nInner}`);
        const expected = model.gptjTensorShapes(config);
        const unexpected = [...ckpt.tensors.keys()].filter((n) => !expected.has(n) && !KNOWN_BUFFERS.test(n));
        if (unexpected.length)
          throw new CliError(`${source.path}: tensors a GPT-J does not have: ${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ', ...' : ''}`);
        const entries = [...expected].flatMap(([name, shape]) => {
          const e = ckpt.tensors.get(name);
          if (!e) {
            if (name === 'lm_head.weight' && config.tieWordEmbeddings) return [];
            throw new CliError(`${source.path}: missing tensor ${name}`);
          }
          // as loading checks it: a misshaped tensor was written out as it was (f16, bf16) or failed as a bug (int8, q4)
          if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i]))
            throw new CliError(`${e.file.name}: tensor ${name} has shape [${e.shape}], the config needs [${shape}]`);
          return [e];
        });
        for (const e of entries) {
          if (!['F32', 'F16', 'BF16'].includes(e.dtype)) throw new CliError(`${e.file.name}: tensor ${e.name} is stored as ${e.dtype}, not a float type`);
        }
        const total = entries.reduce((s, e) => s + e.byteLength / bytesPer(e), 0);
        let done = 0; // source elements converted
        const report = (name: string, elements: number) => progress.update('convert', done + elements, total, name);
        const sources = entries.flatMap((e): TensorSource[] => {
          const elements = e.byteLength / bytesPer(e);
          const finished = (): void => {
            done += elements;
          };
          if (target !== 'int8' && target !== 'q4') return [streamAs(tensor, e, target === 'f16' ? 'F16' : 'BF16', report, finished)];
          if (model.isLinearWeight(e.name)) {
            const [weight, scale] = (target === 'int8' ? model.int8Sources : model.q4Sources)(e, (rows) => report(e.name, rows * e.shape[1]!)); // [out, in], checked above
            return [{ ...weight, data: () => withEnd(weight, finished) }, scale];
          }
          return [streamAs(tensor, e, e.shape.length === 1 ? 'F32' : 'F16', report, finished)];
        });
        mkdirSync(staging, { recursive: true });
        const metadata = target === 'int8' ? model.INT8_METADATA : target === 'q4' ? model.Q4_METADATA : { format: 'pt' };
        await model.writeSafetensorsAsync(join(staging, 'model.safetensors'), sources, { ...metadata });
        progress.stop();
        for (const key of ['torch_dtype', 'dtype']) if (key in configJson) configJson[key] = HF_DTYPE[target];
        if (target === 'int8' || target === 'q4') configJson.quantization_config = QUANTIZATION_CONFIG[target];
        else delete configJson.quantization_config;
        writeFileSync(join(staging, 'config.json'), `${JSON.stringify(configJson, null, 2)}\n`);
        for (const f of model.SIDE_FILES) copySideFile(join(source.path, f), join(staging, f));
        if (existsSync(flags.out))
          rmdirSync(flags.out); // checked empty above
        else mkdirSync(dirname(flags.out), { recursive: true });
        renameSync(staging, flags.out);
      } catch (err) {
        rmSync(staging, { recursive: true, force: true });
        throw err;
      } finally {
        dropStaging();
        progress.stop();
        ckpt.close();
      }
      const size = statSync(join(flags.out, 'model.safetensors')).size;
      await writeOut(`${JSON.stringify({ out: flags.out, dtype: target, bytes: size })}\n`);
    });
}

function bytesPer(e: TensorEntry): number {
  return e.dtype === 'F32' ? 4 : 2;
}

type StoredFloat = 'F32' | HalfStored;
const TENSOR_DTYPE = { F32: 'f32', F16: 'f16', BF16: 'bf16' } as const;

/** `e` re-encoded as F32, F16 or BF16 by the tensor core's cast (round to nearest even), CHUNK_ELEMENTS at a time. */
function streamAs(
  tensor: typeof import('@gptj/tensor'),
  e: TensorEntry,
  to: StoredFloat,
  report: (name: string, elements: number) => void,
  finished: () => void,
): TensorSource {
  const width = bytesPer(e);
  const n = e.byteLength / width;
  return {
    name: e.name,
    dtype: to,
    shape: e.shape,
    data: function* () {
      for (let start = 0; start < n; start += CHUNK_ELEMENTS) {
        const count = Math.min(CHUNK_ELEMENTS, n - start);
        const raw = e.file.read(e.offset + start * width, count * width);
        if (e.dtype === to) yield raw;
        else {
          const src = tensor.Tensor.fromBytes(raw, [count], TENSOR_DTYPE[e.dtype as StoredFloat]);
          const converted = tensor.cast(src, TENSOR_DTYPE[to]);
          src.dispose();
          const bytes = converted.toBytes();
          converted.dispose();
          yield bytes;
        }
        report(e.name, start + count);
      }
      finished();
    },
  };
}

/** The chunks of `source`, then `end()` once they are all written. */
function* withEnd(source: TensorSource, end: () => void): Iterable<Uint8Array> {
  yield* source.data instanceof Uint8Array ? [source.data] : source.data();
  end();
}

/** Copies a tokenizer or generation file when there is one; a FIFO or device there is refused (copying would block). */
function copySideFile(from: string, to: string): void {
  const stat = statSync(from, { throwIfNoEntry: false });
  if (!stat) return;
  if (!stat.isFile()) throw new CliError(`${from}: not a regular file (a FIFO, device or directory is not copied into a checkpoint)`);
  copyFileSync(from, to);
}
