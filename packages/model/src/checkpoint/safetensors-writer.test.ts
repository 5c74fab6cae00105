import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSafetensors } from './safetensors.js';
import { writeSafetensors, writeSafetensorsAsync } from './safetensors-writer.js';
import type { TensorSource } from './tensor-source.js';

const dir = mkdtempSync(join(tmpdir(), 'gptj-st-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const a: TensorSource = { name: 'a', dtype: 'F32', shape: [2, 2], data: new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer) };
const chunked: TensorSource = {
  name: 'b',
  dtype: 'F16',
  shape: [4],
  data: function* () {
    yield new Uint8Array(4);
    yield new Uint8Array(4);
  },
};
const failing: TensorSource = {
  ...chunked,
  data: function* () {
    yield new Uint8Array(4);
    throw new Error('source failed mid-tensor');
  },
};

describe('writeSafetensors: interrupt safety', () => {
  it('a write that fails midway leaves neither the file nor its temporary', () => {
    const path = join(dir, 'fail.safetensors');
    expect(() => writeSafetensors(path, [a, failing])).toThrow(/mid-tensor/);
    expect(readdirSync(dir).filter((f) => f.startsWith('fail'))).toEqual([]);
  });

  it('an existing file is replaced only once the new one is complete', () => {
    const path = join(dir, 'keep.safetensors');
    writeSafetensors(path, [a]);
    const before = readFileSync(path);
    expect(() => writeSafetensors(path, [failing])).toThrow();
    expect(readFileSync(path)).toEqual(before);
  });

  it("a stale temporary from a crashed run is overwritten, and the async writer's bytes equal the sync writer's", async () => {
    const sync = join(dir, 'sync.safetensors');
    const async = join(dir, 'async.safetensors');
    writeFileSync(`${async}.partial`, 'left by a killed run, longer than the real file will be '.repeat(10));
    writeSafetensors(sync, [a, chunked]);
    await writeSafetensorsAsync(async, [a, chunked]);
    expect(readFileSync(async)).toEqual(readFileSync(sync));
    expect(existsSync(`${async}.partial`)).toBe(false);
    const ckpt = openSafetensors(async);
    expect([...ckpt.tensors.keys()]).toEqual(['a', 'b']);
    ckpt.close();
  });
});
