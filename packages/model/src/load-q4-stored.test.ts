// Stored q4 checkpoints: the U8 codes + F16 scale layout written by q4Sources decodes, by the formula the README
// documents, to exactly the weights dtype 'q4' makes of the float checkpoint; loads back into that q4 model byte
// for byte; and a hostile file (wrong shapes, dtypes, byte counts, non-finite scales) is a typed error.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cast } from '@gptj/tensor';
import { f16Value } from '@gptj/tensor/testing';
import { fixturePath } from '@gptj/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointFormatError,
  CheckpointMismatchError,
  type GPTJModel,
  Q4_METADATA,
  type TensorSource,
  gptjTensorShapes,
  loadModel,
  parseGPTJConfig,
  q4Sources,
  writeSafetensors,
} from './index.js';
import { logitsOf as logitsFor, readRaw, writeQuantized } from './test-support/stored-checkpoint.js';
import { at } from './at.js';

const small = fixturePath('gptj-small-f32');
const dir = mkdtempSync(join(tmpdir(), 'gptj-q4-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ids = [[3, 17, 99, 250, 4, 8, 15, 16, 23, 42, 511, 0]];

/** `from` (default the fixture) as a q4 checkpoint: linear weights U8 codes + F16 scales; `edit` may alter the list. */
const writeQ4 = (name: string, edit?: (ts: TensorSource[]) => TensorSource[], from = small) =>
  writeQuantized(from, join(dir, name), q4Sources, Q4_METADATA, edit);
const tensorsIn = (path: string) => readRaw(path).tensors;

const logitsOf = (m: GPTJModel) => logitsFor(m, ids);

let q4Dir: string;
let q4Model: GPTJModel;
beforeAll(async () => {
  q4Dir = await writeQ4('q4');
  q4Model = await loadModel(small, { dtype: 'q4' });
});
afterAll(() => q4Model.dispose());

describe('stored q4 checkpoints', () => {
  it("hold U8 codes [out, in/2] and F16 scales [out, in/32] that decode, as documented, to the q4 model's weights", () => {
    const raw = tensorsIn(join(q4Dir, 'model.safetensors'));
    const codes = raw.get('transformer.h.1.mlp.fc_in.weight')!,
      scales = raw.get('transformer.h.1.mlp.fc_in.weight_scale')!;
    expect([codes.dtype, codes.shape, scales.dtype, scales.shape]).toEqual(['U8', [512, 64], 'F16', [512, 4]]);
    const d = new Uint16Array(scales.bytes.slice().buffer);
    const decoded = new Float32Array(512 * 128);
    for (let r = 0; r < 512; r++) {
      for (let g = 0; g < 4; g++) {
        const scale = f16Value(d[r * 4 + g]!); // d holds 512 x 4 scales, the codes 512 x 64 bytes
        for (let i = 0; i < 16; i++) {
          const b = codes.bytes[r * 64 + g * 16 + i]!;
          decoded[r * 128 + g * 32 + i] = ((b & 15) - 8) * scale;
          decoded[r * 128 + g * 32 + i + 16] = ((b >> 4) - 8) * scale;
        }
      }
    }
    const w = cast(at(q4Model.weights.layers, 1).fcIn, 'f32');
    expect(w.toFloat32Array()).toEqual(decoded);
    w.dispose();
    expect(raw.get('transformer.wte.weight')!.dtype).toBe('F32'); // the rest as stored
  });

  it("loads under 'auto' as q4, every weight's bytes and the logits equal to dtype 'q4' on the float checkpoint", async () => {
    const m = await loadModel(q4Dir);
    expect(m.dtype).toBe('q4');
    for (const key of ['q', 'k', 'v', 'out', 'fcIn', 'fcOut'] as const)
      for (const [l, layer] of m.weights.layers.entries()) expect(layer[key].toBytes()).toEqual(at(q4Model.weights.layers, l)[key].toBytes());
    expect(m.weights.lmHead.toBytes()).toEqual(q4Model.weights.lmHead.toBytes());
    expect(await logitsOf(m)).toEqual(await logitsOf(q4Model));
    m.dispose();
  });

  it("dtype 'f32' dequantizes it: the f32 model of the q4 weights", async () => {
    const m = await loadModel(q4Dir, { dtype: 'f32' });
    const w = cast(at(q4Model.weights.layers, 0).q, 'f32');
    expect(at(m.weights.layers, 0).q.toFloat32Array()).toEqual(w.toFloat32Array());
    w.dispose();
    m.dispose();
  });

  const weight = 'transformer.h.0.attn.q_proj.weight',
    scale = `${weight}_scale`;
  // The q_proj weight and scale as written in q4Dir (a scale source streams only after its weight's), then `f` applied to one.
  const stored = (name: string) => tensorsIn(join(q4Dir, 'model.safetensors')).get(name)!.bytes;
  const replace = (name: string, f: (t: TensorSource) => TensorSource) => (ts: TensorSource[]) =>
    ts.map((t) => (t.name === weight || t.name === scale ? { ...t, data: stored(t.name) } : t)).map((t) => (t.name === name ? f(t) : t));
  const bytesOf = (t: TensorSource) => t.data as Uint8Array;
  const mismatches: [string, (ts: TensorSource[]) => TensorSource[], RegExp][] = [
    [
      'codes of the wrong shape',
      replace(weight, (t) => ({ ...t, shape: [128, 32], data: new Uint8Array(128 * 32) })),
      /q_proj\.weight has shape \[128,32\], its q4 codes \(U8\) need \[128,64\]/,
    ],
    [
      'a missing scale',
      (ts) => replace(weight, (t) => t)(ts).filter((t) => t.name !== scale),
      /missing transformer\.h\.0\.attn\.q_proj\.weight_scale \[128,4\]: the q4 .* needs its group scales/,
    ],
    [
      'scales of the wrong shape',
      replace(scale, (t) => ({ ...t, shape: [128, 2], data: bytesOf(t).subarray(0, 512) })),
      /weight_scale has shape \[128,2\], the q4 .* needs \[128,4\]/,
    ],
    ['F32 scales', replace(scale, (t) => ({ ...t, dtype: 'F32', data: new Uint8Array(128 * 4 * 4) })), /weight_scale is stored as F32; q4 scales must be F16/],
    [
      'a U8 bias',
      replace('transformer.h.0.mlp.fc_in.bias', (t) => ({ ...t, dtype: 'U8', data: new Uint8Array(512) })),
      /fc_in\.bias is stored as U8; weights must be F32, F16 or BF16/,
    ],
  ];
  for (const [what, edit, message] of mismatches) {
    it(`refuses ${what} with a CheckpointMismatchError naming it`, async () => {
      const d = await writeQ4(what.replace(/\W/g, '-'), edit);
      const err = await loadModel(d).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CheckpointMismatchError);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('refuses a non-finite scale with a CheckpointFormatError naming the tensor, row and group', async () => {
    const d = await writeQ4(
      'nan-scale',
      replace(scale, (t) => {
        const b = bytesOf(t).slice();
        b.set([0x00, 0x7e], 2 * (5 * 4 + 3)); // row 5, group 3: NaN
        return { ...t, data: b };
      }),
    );
    const err = await loadModel(d).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CheckpointFormatError);
    expect((err as Error).message).toMatch(/q_proj\.weight_scale.*q4 scale of row 5, group 3 is not finite/);
  });

  it("refuses a file whose codes hold fewer bytes than their shape says (the reader's byte-count check)", async () => {
    const d = await writeQ4('short');
    const path = join(d, 'model.safetensors');
    const buf = readFileSync(path);
    const n = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { shape: number[] }>;
    const entry = header[weight];
    if (!entry) throw new Error(`the file has no tensor ${weight}`);
    entry.shape = [128, 65]; // one more code byte a row than its data_offsets hold
    const json = Buffer.from(JSON.stringify(header).padEnd(n, ' '));
    expect(json.length).toBe(n);
    writeFileSync(path, Buffer.concat([buf.subarray(0, 8), json, buf.subarray(8 + n)]));
    await expect(loadModel(d)).rejects.toThrow(CheckpointFormatError);
  });

  it('loads a model whose q4 file holds fewer bytes than it has parameters (the config-size guard allows 4 bits each)', async () => {
    // Wide matrices, small vocabulary: 821,568 parameters, 526,592 bytes once the matrices are q4.
    const json = { n_embd: 256, n_head: 4, n_layer: 1, vocab_size: 64, rotary_dim: 8, n_positions: 64 };
    const f32Dir = join(dir, 'wide-f32');
    mkdirSync(f32Dir);
    writeFileSync(join(f32Dir, 'config.json'), JSON.stringify(json));
    let seed = 1;
    const sources = [...gptjTensorShapes(parseGPTJConfig(json))].map(([name, shape]): TensorSource => {
      const a = Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => ((seed = (seed * 48271) % 2147483647) / 2147483647 - 0.5) / 5);
      return { name, dtype: 'F32', shape, data: new Uint8Array(a.buffer) };
    });
    writeSafetensors(join(f32Dir, 'model.safetensors'), sources);
    const d = await writeQ4('wide-q4', (t) => t, f32Dir);
    const size = readFileSync(join(d, 'model.safetensors')).byteLength;
    expect(size).toBeLessThan(821_568);
    const [stored, onLoad] = [await loadModel(d), await loadModel(f32Dir, { dtype: 'q4' })];
    expect(stored.dtype).toBe('q4');
    const x = [[1, 2, 3, 4, 5]];
    const [a, b] = [await stored.forward(x), await onLoad.forward(x)];
    expect(a.toFloat32Array()).toEqual(b.toFloat32Array());
    for (const t of [a, b, stored, onLoad]) t.dispose();
  });
});
