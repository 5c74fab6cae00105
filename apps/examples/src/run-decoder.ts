// Running a Decoder from @gptj/layers: a whole batch at once (prefill), and greedy decoding one token at a time
// over the KV caches. Shared by the bring-your-own-architecture examples, with what they print.
import { type Decoder, KVCache } from '@gptj/layers';
import { Tensor } from '@gptj/tensor';

/** What the KV caches are sized by. */
export interface CacheShape {
  nLayer: number;
  nHead: number;
  headDim: number;
  maxLength: number;
}

const caches = (s: CacheShape, batch: number) => Array.from({ length: s.nLayer }, () => new KVCache(batch, s.nHead, s.maxLength, s.headDim));
const i32 = (rows: readonly number[][]) => Tensor.fromArray(new Int32Array(rows.flat()), [rows.length, rows[0]?.length ?? 0], { dtype: 'i32' });

/** Logits f32 [B, T, V] of equal-length rows of ids that follow the `offset` positions already in the caches. */
async function forward(model: Decoder, kv: KVCache[], rows: readonly number[][], offset: number): Promise<Float32Array> {
  const ids = i32(rows);
  const positions = i32(rows.map((r) => r.map((_, t) => offset + t)));
  const logits = await model.forward(ids, { positions, caches: kv, offset });
  const out = logits.toFloat32Array();
  for (const t of [ids, positions, logits]) t.dispose();
  return out;
}

/** Logits f32 [B, T, V] of equal-length rows of ids (positions 0..T-1). */
export async function logitsOf(model: Decoder, shape: CacheShape, rows: readonly number[][]): Promise<Float32Array> {
  const kv = caches(shape, rows.length);
  const out = await forward(model, kv, rows, 0);
  for (const c of kv) c.dispose();
  return out;
}

/** The prompt, then `steps` greedy tokens: one prefill, then one forward of a single token per step. */
export async function greedy(model: Decoder, shape: CacheShape, prompt: readonly number[], steps: number): Promise<number[]> {
  const kv = caches(shape, 1);
  const ids = [...prompt];
  let input = [...prompt];
  while (ids.length < prompt.length + steps) {
    const logits = await forward(model, kv, [input], ids.length - input.length);
    const last = logits.subarray(logits.length - logits.length / input.length); // the last position's row [V]
    const next = last.indexOf(Math.max(...last));
    input = [next];
    ids.push(next);
  }
  for (const c of kv) c.dispose();
  return ids;
}

/** The two prompts both examples run (ids < 512). */
export const PROMPTS: readonly [number[], number[]] = [
  [7, 300, 42, 511, 0, 128, 9, 64],
  [1, 2, 3, 4, 5, 6, 7, 8],
];

/** Prints the batch's logits (shape, first values of row 0's last position) and 8 greedy tokens after row 0. */
export async function printDemo(model: Decoder, shape: CacheShape, vocabSize: number): Promise<void> {
  const logits = await logitsOf(model, shape, PROMPTS);
  const last = logits.subarray((PROMPTS[0].length - 1) * vocabSize, PROMPTS[0].length * vocabSize);
  console.log(
    `logits [${PROMPTS.length}, ${PROMPTS[0].length}, ${vocabSize}], row 0 last position: ${[...last.slice(0, 4)].map((x) => x.toFixed(4)).join(' ')} ...`,
  );
  console.log(`greedy after row 0: ${(await greedy(model, shape, PROMPTS[0], 8)).slice(PROMPTS[0].length).join(' ')}`);
}
