// Stored int8 checkpoints: the I8 + scale layout written by int8Sources holds what a naive absmax quantizer
// makes of each row, loads back into exactly the q8 model that dtype 'q8' makes of the float checkpoint, and
// the strict name/shape checks cover the scales.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from '@gptj/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointFormatError,
  CheckpointMismatchError,
  type GPTJModel,
  INT8_METADATA,
  type TensorSource,
  int8Sources,
  isLinearWeight,
  loadModel,
  writeSafetensors,
} from './index.js';
import { relToMax } from './test-support/compare.js';
import { matrixDims } from './test-support/shapes.js';
import { at } from './at.js';
import { logitsOf as logitsFor, readRaw, writeQuantized } from './test-support/stored-checkpoint.js';

const small = fixturePath('gptj-small-f32');
const dir = mkdtempSync(join(tmpdir(), 'gptj-int8-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ids = [[3, 17, 99, 250, 4, 8, 15, 16, 23, 42, 511, 0]];

/** The fixture as an int8 checkpoint: linear weights I8 + scales, the rest as stored; `edit` may alter the list. */
const writeInt8 = (name: string, edit?: (ts: TensorSource[]) => TensorSource[]) => writeQuantized(small, join(dir, name), int8Sources, INT8_METADATA, edit);
const logitsOf = (m: GPTJModel) => logitsFor(m, ids);

let int8Dir: string;
let q8Reference: Float32Array;
beforeAll(async () => {
  int8Dir = await writeInt8('int8');
  const m = await loadModel(small, { dtype: 'q8' });
  q8Reference = await logitsOf(m);
  m.dispose();
});

describe('stored int8 layout', () => {
  it('holds per-row absmax int8 values and f32 scales [out, 1], equal to a naive quantizer', () => {
    const src = readRaw(join(small, 'model.safetensors')).tensors;
    const { metadata, tensors } = readRaw(join(int8Dir, 'model.safetensors'));
    expect(metadata).toEqual({ format: 'pt', gptj_quantization: 'q8-per-row' });
    let checked = 0;
    for (const [name, s] of src) {
      const got = tensors.get(name)!;
      if (!isLinearWeight(name)) {
        expect(got.dtype, name).toBe(s.dtype);
        expect(Buffer.from(got.bytes).equals(Buffer.from(s.bytes)), name).toBe(true);
        continue;
      }
      const [rows, cols] = matrixDims(s.shape);
      const scale = tensors.get(`${name}_scale`)!;
      expect([got.dtype, got.shape, scale.dtype, scale.shape]).toEqual(['I8', [rows, cols], 'F32', [rows, 1]]);
      const x = new Float32Array(s.bytes.buffer, s.bytes.byteOffset, rows * cols);
      const q = new Int8Array(got.bytes.buffer, got.bytes.byteOffset, rows * cols);
      const sc = new Float32Array(scale.bytes.buffer, scale.bytes.byteOffset, rows);
      let bad = 0;
      for (let r = 0; r < rows; r++) {
        let amax = 0;
        // x and q hold rows * cols values, sc rows
        for (let c = 0; c < cols; c++) amax = Math.max(amax, Math.abs(x[r * cols + c]!));
        const want = Math.fround(amax / 127);
        if (sc[r] !== want) bad++;
        for (let c = 0; c < cols; c++) if (q[r * cols + c] !== roundHalfEven(Math.fround(x[r * cols + c]! / want))) bad++;
      }
      expect(bad, name).toBe(0);
      checked++;
    }
    expect(checked).toBe(3 * 6 + 1);
  });
});

describe('loading a stored int8 checkpoint', () => {
  it("'auto' gives q8 weights and logits bit-identical to dtype 'q8' on the float checkpoint", async () => {
    const m = await loadModel(int8Dir);
    expect(m.dtype).toBe('q8');
    const got = await logitsOf(m);
    m.dispose();
    expect(Buffer.from(got.buffer).equals(Buffer.from(q8Reference.buffer))).toBe(true);
  });

  it('accepts scales stored as [out] as well as [out, 1]', async () => {
    const d = await writeInt8('f16-scales', (ts) => ts.map((t) => (t.name.endsWith('_scale') ? { ...t, shape: [at(t.shape, 0)] } : t)));
    const m = await loadModel(d);
    const got = await logitsOf(m);
    m.dispose();
    expect(Buffer.from(got.buffer).equals(Buffer.from(q8Reference.buffer))).toBe(true);
  });

  it("dtype 'f32' dequantizes exactly: logits bit-identical to an f32 checkpoint holding q * scale", async () => {
    const { tensors } = readRaw(join(int8Dir, 'model.safetensors'));
    const dequantized: TensorSource[] = [];
    for (const [name, t] of tensors) {
      if (name.endsWith('_scale')) continue;
      if (t.dtype !== 'I8') {
        dequantized.push({ name, dtype: t.dtype as 'F32', shape: t.shape, data: t.bytes });
        continue;
      }
      const [rows, cols] = matrixDims(t.shape);
      const q = new Int8Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
      const sb = tensors.get(`${name}_scale`)!.bytes;
      const sc = new Float32Array(sb.buffer, sb.byteOffset, rows);
      const x = Float32Array.from(q, (v, i) => Math.fround(v * sc[Math.floor(i / cols)]!)); // q holds rows * cols values
      dequantized.push({ name, dtype: 'F32', shape: t.shape, data: new Uint8Array(x.buffer) });
    }
    const ref = join(dir, 'dequantized');
    mkdirSync(ref);
    copyFileSync(join(small, 'config.json'), join(ref, 'config.json'));
    writeSafetensors(join(ref, 'model.safetensors'), dequantized);
    const [a, b] = [await loadModel(int8Dir, { dtype: 'f32' }), await loadModel(ref)];
    expect([a.dtype, b.dtype]).toEqual(['f32', 'f32']);
    const [got, want] = [await logitsOf(a), await logitsOf(b)];
    a.dispose();
    b.dispose();
    expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    expect(relToMax(got, q8Reference)).toBeLessThan(1e-3); // and close to the q8 model (f16 embedding there)
  });

  it('reports a missing, misshaped or orphan scale and an I8 embedding as CheckpointMismatchError', async () => {
    const q = 'transformer.h.1.attn.q_proj.weight';
    const cases: [string, (ts: TensorSource[]) => TensorSource[], RegExp][] = [
      ['missing', (ts) => ts.filter((t) => t.name !== `${q}_scale`), /missing transformer\.h\.1\.attn\.q_proj\.weight_scale \[128, 1\]/],
      [
        'misshaped',
        (ts) => ts.map((t) => (t.name === `${q}_scale` ? { ...t, shape: [64, 2] } : t)),
        /q_proj\.weight_scale has shape \[64,2\], the I8 .* needs \[128, 1\] or \[128\]/,
      ],
      [
        'orphan',
        (ts) => [...ts, { name: 'transformer.ln_f.weight_scale', dtype: 'F32', shape: [1], data: new Uint8Array(4) }],
        /unexpected tensor transformer\.ln_f\.weight_scale/,
      ],
      [
        'i8-embedding',
        (ts) => ts.map((t) => (t.name === 'transformer.wte.weight' ? { ...t, dtype: 'I8', data: new Uint8Array(512 * 128) } : t)),
        /transformer\.wte\.weight is stored as I8; weights must be F32, F16 or BF16$/m,
      ],
    ];
    for (const [name, edit, message] of cases) {
      const d = await writeInt8(name, edit);
      const err = await loadModel(d).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(CheckpointMismatchError);
      expect((err as Error).message, name).toMatch(message);
    }
  });

  it('reports a negative or NaN scale as CheckpointFormatError naming the scale tensor', async () => {
    const q = 'transformer.h.2.mlp.fc_in.weight';
    for (const bad of [-0.5, NaN]) {
      const scales = new Float32Array(512).fill(0.01);
      scales[7] = bad;
      const d = await writeInt8(`bad-scale-${bad}`, (ts) => ts.map((t) => (t.name === `${q}_scale` ? { ...t, data: new Uint8Array(scales.buffer) } : t)));
      const err = await loadModel(d).catch((e: unknown) => e);
      expect(err, String(bad)).toBeInstanceOf(CheckpointFormatError);
      expect((err as Error).message).toContain(`model.safetensors (tensor "${q}_scale"): `);
      expect((err as Error).message).toContain(`scales[7] is ${bad}`);
    }
  });
});

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
