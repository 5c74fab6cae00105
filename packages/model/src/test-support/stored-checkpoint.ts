// Helpers of the stored int8 / q4 checkpoint tests: a checkpoint re-written with its linear weights quantized,
// a safetensors file read back with nothing but the format's definition, and a model's logits.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type GPTJModel, type TensorEntry, type TensorSource, isLinearWeight, openCheckpoint, writeSafetensors } from '../index.js';

/**
 * `from` (config.json + checkpoint) written to `out` with every linear weight replaced by `quantize(entry)` (its
 * weight and scale sources), the rest as stored, under `metadata`; `edit` may alter the list of sources first.
 */
export async function writeQuantized(
  from: string,
  out: string,
  quantize: (e: TensorEntry) => TensorSource[],
  metadata: Record<string, string>,
  edit: (ts: TensorSource[]) => TensorSource[] = (t) => t,
): Promise<string> {
  mkdirSync(out);
  copyFileSync(join(from, 'config.json'), join(out, 'config.json'));
  const ckpt = await openCheckpoint(from);
  try {
    const sources = [...ckpt.tensors.values()].flatMap((e) =>
      isLinearWeight(e.name) ? quantize(e) : [{ name: e.name, dtype: e.dtype, shape: e.shape, data: e.file.read(e.offset, e.byteLength) }],
    );
    writeSafetensors(join(out, 'model.safetensors'), edit(sources), { ...metadata });
  } finally {
    ckpt.close();
  }
  return out;
}

/** name -> { dtype, shape, bytes } and the `__metadata__` of a safetensors file, read with nothing but the safetensors definition. */
export function readRaw(path: string): { metadata: unknown; tensors: Map<string, { dtype: string; shape: number[]; bytes: Uint8Array }> } {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const tensors = new Map<string, { dtype: string; shape: number[]; bytes: Uint8Array }>();
  for (const [name, h] of Object.entries(header)) {
    if (name !== '__metadata__')
      tensors.set(name, { dtype: h.dtype, shape: h.shape, bytes: new Uint8Array(buf.subarray(8 + n + h.data_offsets[0], 8 + n + h.data_offsets[1])) });
  }
  return { metadata: header.__metadata__, tensors };
}

/** The model's logits [B, T, V] for ids, as a Float32Array. */
export async function logitsOf(m: GPTJModel, ids: number[][]): Promise<Float32Array> {
  const t = await m.forward(ids);
  const out = t.toFloat32Array();
  t.dispose();
  return out;
}
