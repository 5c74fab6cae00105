// gptj convert: re-save a checkpoint (safetensors or PyTorch .bin, sharded or not) as one safetensors file in
// f16 or bf16, streaming tensor by tensor so the source is never held in memory whole.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import type { TensorEntry, TensorSource } from '@gptj/model';
import { CliError, UsageError } from '../errors.js';
import { encodeHalf } from '../half-precision.js';
import { writeOut } from '../io.js';
import { resolveToDirectory } from '../load.js';
import { resolveModelSource } from '../model-source.js';
import { createProgress } from '../progress.js';
import { addModelOption } from './shared-options.js';

interface ConvertFlags {
  model?: string;
  revision?: string;
  cacheDir?: string;
  dtype: 'f16' | 'bf16' | 'int8';
  out: string;
}

const STORED = { f16: 'F16', bf16: 'BF16' } as const;
const HF_DTYPE = { f16: 'float16', bf16: 'bfloat16' } as const;
const SIDE_FILES = ['generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.json', 'merges.txt', 'added_tokens.json', 'special_tokens_map.json'];
// Buffers of real GPT-J checkpoints that are not weights (GUIDE section 1); they are not copied.
const KNOWN_BUFFERS = /^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/;
// Elements converted per chunk: bounds the extra memory to a few tens of MiB whatever the tensor size.
const CHUNK_ELEMENTS = 1 << 22;

export function convertCommand(): Command {
  const cmd = new Command('convert').description('Re-save a checkpoint as safetensors with f16 or bf16 weights');
  addModelOption(cmd);
  return cmd
    .addOption(new Option('--dtype <dtype>', 'weight dtype to store').choices(['f16', 'bf16', 'int8']).makeOptionMandatory())
    .requiredOption('-o, --out <dir>', 'output directory (created; must not exist or be empty)')
    .addHelpText(
      'after',
      '\nWrites <out>/model.safetensors, config.json (dtype updated) and the tokenizer and generation files.\n' +
        'int8 is applied when loading (`--dtype int8` on any command), not stored: @gptj/model reads float\n' +
        'checkpoints only, so `convert --dtype int8` explains that and writes nothing.\n\n' +
        'Example:\n  gptj convert --model EleutherAI/gpt-j-6b --dtype f16 --out ./gpt-j-6b-f16',
    )
    .action(async (flags: ConvertFlags) => {
      if (flags.dtype === 'int8') {
        throw new UsageError('--dtype int8: int8 weights are quantized at load time (use --dtype int8 with generate, bench...); @gptj/model stores and reads float checkpoints only, so convert to f16 or bf16');
      }
      const target = flags.dtype;
      const source = await resolveToDirectory(resolveModelSource(flags.model), flags);
      if (existsSync(flags.out) && (!statSync(flags.out).isDirectory() || readdirSync(flags.out).length > 0)) {
        throw new CliError(`--out ${flags.out}: exists and is not an empty directory`);
      }
      const model = await import('@gptj/model');
      const { Tensor } = await import('@gptj/tensor');
      const configJson = JSON.parse(readFileSync(join(source.path, 'config.json'), 'utf8')) as Record<string, unknown>;
      const config = model.parseGPTJConfig(configJson);
      const ckpt = await model.openCheckpoint(source.path);
      const progress = createProgress();
      try {
        const expected = model.gptjTensorShapes(config);
        const unexpected = [...ckpt.tensors.keys()].filter((n) => !expected.has(n) && !KNOWN_BUFFERS.test(n));
        if (unexpected.length) throw new CliError(`${source.path}: tensors a GPT-J does not have: ${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ', ...' : ''}`);
        const entries = [...expected.keys()].flatMap((name) => {
          const e = ckpt.tensors.get(name);
          if (e) return [e];
          if (name === 'lm_head.weight' && config.tieWordEmbeddings) return [];
          throw new CliError(`${source.path}: missing tensor ${name}`);
        });
        const total = entries.reduce((s, e) => s + (e.byteLength / bytesPer(e)) * 2, 0);
        let written = 0;
        const toTarget = (e: TensorEntry): TensorSource => ({
          name: e.name,
          dtype: STORED[target],
          shape: e.shape,
          data: function* () {
            const n = e.byteLength / bytesPer(e);
            const width = bytesPer(e);
            for (let start = 0; start < n; start += CHUNK_ELEMENTS) {
              const count = Math.min(CHUNK_ELEMENTS, n - start);
              const raw = e.file.read(e.offset + start * width, count * width);
              let out: Uint8Array;
              if (e.dtype === STORED[target]) out = raw;
              else if (e.dtype === 'F32') out = encodeHalf(new Float32Array(raw.buffer, raw.byteOffset, count), target);
              else {
                // f16 <-> bf16: widen through the tensor core, then narrow
                const wide = Tensor.fromBytes(raw, [count], e.dtype === 'F16' ? 'f16' : 'bf16');
                out = encodeHalf(wide.toFloat32Array(), target);
                wide.dispose();
              }
              written += count * 2;
              progress.update('convert', written, total, e.name);
              yield out;
            }
          },
        });
        for (const e of entries) {
          if (!['F32', 'F16', 'BF16'].includes(e.dtype)) throw new CliError(`${e.file.name}: tensor ${e.name} is stored as ${e.dtype}, not a float type`);
        }
        mkdirSync(flags.out, { recursive: true });
        model.writeSafetensors(join(flags.out, 'model.safetensors'), entries.map(toTarget), { format: 'pt' });
      } finally {
        progress.stop();
        ckpt.close();
      }
      for (const key of ['torch_dtype', 'dtype']) if (key in configJson) configJson[key] = HF_DTYPE[target];
      writeFileSync(join(flags.out, 'config.json'), `${JSON.stringify(configJson, null, 2)}\n`);
      for (const f of SIDE_FILES) if (existsSync(join(source.path, f))) copyFileSync(join(source.path, f), join(flags.out, f));
      const size = statSync(join(flags.out, 'model.safetensors')).size;
      await writeOut(`${JSON.stringify({ out: flags.out, dtype: target, bytes: size })}\n`);
    });
}

function bytesPer(e: TensorEntry): number {
  return e.dtype === 'F32' ? 4 : 2;
}
