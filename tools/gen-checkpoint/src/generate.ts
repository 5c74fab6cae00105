#!/usr/bin/env node
// Usage: gptj-gen-checkpoint <out-dir> [--format safetensors|bin] [--layers N] [--shard-gb G | --single]
// Writes config.json and a random GPT-J 6B-shaped checkpoint: fp16 safetensors (12.1 GB; shards of at most
// G GB, default 2, as HF repos ship them, or one file with --single) or the fp32 PyTorch .bin of the
// original release (24.2 GB, zip64). --layers shrinks the model for quick checks.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseGPTJConfig, writePytorchBin, writeSafetensors, writeShardedSafetensors } from '@gptj/model';
import { randomGptjTensors } from './random-weights.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    format: { type: 'string', default: 'safetensors' },
    layers: { type: 'string', default: '28' },
    'shard-gb': { type: 'string', default: '2' },
    single: { type: 'boolean', default: false },
  },
});
const out = positionals[0];
if (!out || !['safetensors', 'bin'].includes(values.format)) {
  console.error('usage: gptj-gen-checkpoint <out-dir> [--format safetensors|bin] [--layers N] [--shard-gb G | --single]');
  process.exit(2);
}
const configJson = {
  model_type: 'gptj',
  architectures: ['GPTJForCausalLM'],
  n_layer: Number(values.layers),
  n_inner: null,
  torch_dtype: values.format === 'bin' ? 'float32' : 'float16',
};
const config = parseGPTJConfig(configJson);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'config.json'), JSON.stringify(configJson, null, 2));
const started = Date.now();
if (values.format === 'bin') {
  writePytorchBin(join(out, 'pytorch_model.bin'), randomGptjTensors(config, 'F32'));
} else if (values.single) {
  writeSafetensors(join(out, 'model.safetensors'), randomGptjTensors(config, 'F16'));
} else {
  writeShardedSafetensors(out, randomGptjTensors(config, 'F16'), Number(values['shard-gb']) * 1e9);
}
console.log(`wrote ${values.format} checkpoint (${config.nLayer} layers) to ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
