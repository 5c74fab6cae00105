// One NaN or infinity in a float checkpoint loaded with dtype q8 ('int8' in the CLI): loadModel refuses it with
// NonFiniteError naming the checkpoint tensor and the first bad row and column. Before, q8 quantization turned a
// NaN into its row's maximum and the model generated plausible text.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NonFiniteError } from '@gptj/tensor';
import { fixturePath } from '@gptj/test-fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from './index.js';
import { at } from './at.js';

const small = fixturePath('gptj-small-f32');
const dir = mkdtempSync(join(tmpdir(), 'gptj-int8-nonfinite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the small fixture with `value` at [row, col] of the F32 matrix `tensor`, placed by the safetensors layout itself. */
function withBadWeight(name: string, tensor: string, row: number, col: number, value: number): string {
  const out = join(dir, name);
  const buf = readFileSync(join(small, 'model.safetensors'));
  const headerLength = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const entry = header[tensor];
  if (!entry) throw new Error(`the fixture has no tensor ${tensor}`);
  const {
    dtype,
    shape,
    data_offsets: [begin],
  } = entry;
  expect(dtype).toBe('F32');
  buf.writeFloatLE(value, 8 + headerLength + begin + 4 * (row * at(shape, 1) + col));
  mkdirSync(out);
  writeFileSync(join(out, 'model.safetensors'), buf);
  copyFileSync(join(small, 'config.json'), join(out, 'config.json'));
  return out;
}

describe('loadModel with dtype q8 on non-finite weights', () => {
  it('a NaN: NonFiniteError naming the tensor, row and column', async () => {
    const model = withBadWeight('nan', 'transformer.h.1.mlp.fc_in.weight', 37, 101, NaN);
    const err = await loadModel(model, { dtype: 'q8' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NonFiniteError);
    expect(err).toMatchObject({ tensor: 'transformer.h.1.mlp.fc_in.weight', row: 37, column: 101 });
    expect((err as Error).message).toMatch(/^cast: 'transformer\.h\.1\.mlp\.fc_in\.weight' has NaN at row 37, column 101;/);
  });

  it('an infinity in lm_head: the same', async () => {
    const model = withBadWeight('inf', 'lm_head.weight', 500, 0, -Infinity);
    await expect(loadModel(model, { dtype: 'q8' })).rejects.toThrow(/^cast: 'lm_head\.weight' has -Infinity at row 500, column 0;/);
  });

  it('the same checkpoint loads as f32 (the NaN is only a quantization error there)', async () => {
    const model = await loadModel(withBadWeight('nan-f32', 'transformer.h.1.mlp.fc_in.weight', 37, 101, NaN), { dtype: 'f32' });
    model.dispose();
  });
});
