// `gptj convert --dtype int8` quantizes each weight matrix a block of rows at a time (int8Sources ->
// quantizeRows). A NaN or infinity must be reported like the load path does (load-int8-nonfinite.test.ts):
// NonFiniteError naming the checkpoint tensor and the row and column in the whole tensor, not in the block.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NonFiniteError } from '@gptj/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { int8Sources, openCheckpoint, writeSafetensors } from '../index.js';
import { at } from '../at.js';

const dir = mkdtempSync(join(tmpdir(), 'gptj-int8-layout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A one-tensor safetensors checkpoint: `name` [rows, cols] of small finite values, with `bad` at [row, col]. */
function checkpointWith(name: string, rows: number, cols: number, row: number, col: number, bad: number): string {
  const out = join(dir, `${name}-${row}-${col}`);
  mkdirSync(out);
  const values = new Float32Array(rows * cols).map((_, i) => ((i % 251) - 125) / 128);
  values[row * cols + col] = bad;
  writeSafetensors(join(out, 'model.safetensors'), [{ name, dtype: 'F32', shape: [rows, cols], data: new Uint8Array(values.buffer) }]);
  return out;
}

/** Runs int8Sources over the one tensor of `dir` the way convert does: the I8 stream, then the scales. */
async function convert(dirPath: string): Promise<unknown> {
  const ckpt = await openCheckpoint(dirPath);
  try {
    for (const src of int8Sources(at([...ckpt.tensors.values()], 0)))
      for (const _ of (src.data as () => Iterable<Uint8Array>)()) {
        /* consume */
      }
    return undefined;
  } catch (err) {
    return err;
  } finally {
    ckpt.close();
  }
}

describe('int8Sources on non-finite weights', () => {
  it('a NaN past the first block of rows: the tensor name and the row in the whole tensor', async () => {
    // 4096 columns: blocks of 1024 rows (4 Mi elements), so row 1027 is row 3 of the second block
    const err = await convert(checkpointWith('transformer.h.0.mlp.fc_in.weight', 1030, 4096, 1027, 4001, NaN));
    expect(err).toBeInstanceOf(NonFiniteError);
    expect(err).toMatchObject({ tensor: 'transformer.h.0.mlp.fc_in.weight', row: 1027, column: 4001 });
    expect((err as Error).message).toMatch(/^cast: 'transformer\.h\.0\.mlp\.fc_in\.weight' has NaN at row 1027, column 4001;/);
  });

  it('an infinity in the first block: the same', async () => {
    const err = await convert(checkpointWith('lm_head.weight', 64, 32, 40, 31, -Infinity));
    expect(err).toBeInstanceOf(NonFiniteError);
    expect(err).toMatchObject({ tensor: 'lm_head.weight', row: 40, column: 31, value: -Infinity });
  });

  it('finite weights convert', async () => {
    expect(await convert(checkpointWith('lm_head.weight', 64, 32, 0, 0, 0.5))).toBeUndefined();
  });
});
