// Fuzz target for stored q4 checkpoints (issue 16): a tiny GPT-J written as q4 (U8 codes + F16 scales, by
// q4Sources) under byte edits, and the same file with the header fields of its q4 tensors (dtype, shape) changed.
// Invariant: loadModel's synchronous path (open, checkTensors against config.json, TensorLoader.loadQ4 of every
// q4 weight, here dequantized to f32 to touch every byte) succeeds or throws one of the model package's typed
// errors; every input within the time bound. (The fuzz driver takes synchronous targets; loadModel is async.)
import fc from 'fast-check';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fuzz, fuzzTimeoutMs } from '@gptj/test-fixtures/fuzz';
import { cast } from '@gptj/tensor';
import { afterAll, describe, it } from 'vitest';
import { checkTensors } from './checkpoint/expected.js';
import { openSafetensors } from './checkpoint/safetensors.js';
import { TensorLoader } from './checkpoint/to-tensor.js';
import {
  CheckpointFormatError,
  CheckpointMismatchError,
  ConfigError,
  Q4_METADATA,
  type TensorSource,
  gptjTensorShapes,
  parseGPTJConfig,
  q4Sources,
  writeSafetensors,
} from './index.js';
import { FILE_INPUT_BOUND, InputFile, fuzzScratchDir, mutatedOrGenerated, onlyTypedErrors } from './test-support/mutate.js';
import { writeQuantized } from './test-support/stored-checkpoint.js';

const root = fuzzScratchDir('gptj-q4-fuzz-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

// The seed: a random f32 model (every matrix 32 or 128 columns wide), written as q4.
const json = { n_embd: 32, n_head: 2, n_layer: 1, vocab_size: 8, rotary_dim: 4, n_positions: 16 };
const f32Dir = join(root, 'f32');
mkdirSync(f32Dir);
writeFileSync(join(f32Dir, 'config.json'), JSON.stringify(json));
let next = 7;
writeSafetensors(
  join(f32Dir, 'model.safetensors'),
  [...gptjTensorShapes(parseGPTJConfig(json))].map(([name, shape]): TensorSource => {
    const a = Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => (next = (next * 48271) % 2147483647) / 2147483647 - 0.5);
    return { name, dtype: 'F32', shape, data: new Uint8Array(a.buffer) };
  }),
);
const seedDir = await writeQuantized(f32Dir, join(root, 'seed'), q4Sources, Q4_METADATA);
const seed = new Uint8Array(readFileSync(join(seedDir, 'model.safetensors')));

// Generated: the seed with a q4 tensor's header entry given another dtype or a nudged shape (data offsets kept).
const headerLength = Number(new DataView(seed.buffer).getBigUint64(0, true));
const header = JSON.parse(new TextDecoder().decode(seed.subarray(8, 8 + headerLength))) as Record<string, { dtype: string; shape: number[] }>;
const q4Entries = Object.entries(header).filter(([n, e]) => e.dtype === 'U8' || n.endsWith('_scale'));
const generatedArb = fc
  .record({
    entry: fc.constantFrom(...q4Entries),
    dtype: fc.constantFrom('U8', 'F16', 'I8', 'F32', 'BF16'),
    dims: fc.array(fc.integer({ min: -1, max: 256 }), { minLength: 1, maxLength: 3 }),
    reshape: fc.boolean(),
  })
  .map(({ entry: [name, e], dtype, dims, reshape }) => {
    const h = structuredClone(header);
    h[name] = { ...e, dtype, ...(reshape ? { shape: dims } : {}) };
    const text = new TextEncoder().encode(JSON.stringify(h));
    const out = new Uint8Array(8 + text.length + seed.length - 8 - headerLength);
    new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
    out.set(text, 8);
    out.set(seed.subarray(8 + headerLength), 8 + text.length);
    return out;
  });

const config = parseGPTJConfig(json);
const input = new InputFile(join(root, 'input.safetensors'));
const loader = new TensorLoader('cpu', false);

describe('stored q4 fuzz target', () => {
  it(
    'load path: q4 weights that dequantize, or a typed error',
    () => {
      fuzz(
        'q4-checkpoint-load',
        [mutatedOrGenerated([seed], generatedArb)],
        (bytes) => {
          input.write(bytes);
          onlyTypedErrors(
            () => {
              const ckpt = openSafetensors(input.path);
              try {
                checkTensors(config, ckpt.tensors);
                for (const e of ckpt.tensors.values()) {
                  if (e.dtype !== 'U8') continue;
                  const q = loader.loadQ4(e, ckpt.tensors.get(`${e.name}_scale`)!, 'q4'); // checkTensors: the scale is there
                  cast(q, 'f32').dispose();
                  q.dispose();
                }
              } finally {
                ckpt.close();
              }
            },
            CheckpointFormatError,
            CheckpointMismatchError,
            ConfigError,
          );
        },
        FILE_INPUT_BOUND,
      );
    },
    fuzzTimeoutMs,
  );
});
