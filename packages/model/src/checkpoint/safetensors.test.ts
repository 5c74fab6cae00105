import { copyFileSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from '@gptj/test-fixtures';
import { miniCodeDir } from '@gptj/mini-code';
import { fileCacheResidency } from '@gptj/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { openSafetensors, openSafetensorsIndex } from './safetensors.js';
import { writeSafetensors, writeShardedSafetensors } from './safetensors-writer.js';
import { dropWrittenFile } from './drop-cache.js';
import { CheckpointFormatError } from '../errors.js';

const dir = mkdtempSync(join(tmpdir(), 'gptj-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A safetensors file with the given header object and `dataBytes` bytes of data. */
function rawFile(name: string, header: unknown, dataBytes: number, headerLength?: number): string {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerLength ?? json.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([prefix, json, Buffer.alloc(dataBytes)]));
  return path;
}
const open = (path: string): void => openSafetensors(path).close();

describe('safetensors reader', () => {
  it('lists the fixture tensors with dtypes, shapes and in-file offsets', () => {
    const ckpt = openSafetensors(fixturePath('gptj-small-f32', 'model.safetensors'));
    const wte = ckpt.tensors.get('transformer.wte.weight')!;
    expect(wte).toMatchObject({ dtype: 'F32', shape: [512, 128], byteLength: 512 * 128 * 4 });
    expect(ckpt.tensors.size).toBe(3 * 10 + 5);
    // The bytes at the entry's offset are the tensor: compare with a separate parse of the file.
    const buf = readFileSync(fixturePath('gptj-small-f32', 'model.safetensors'));
    const n = Number(buf.readBigUInt64LE(0));
    const info = JSON.parse(buf.subarray(8, 8 + n).toString())['transformer.wte.weight'];
    expect(wte.offset).toBe(8 + n + info.data_offsets[0]);
    expect(Uint8Array.from(wte.file.view(wte.offset, 16))).toEqual(Uint8Array.from(buf.subarray(wte.offset, wte.offset + 16)));
    ckpt.close();
  });

  it('reads a sharded fp16 checkpoint through its index', () => {
    const ckpt = openSafetensorsIndex(join(miniCodeDir, 'model.safetensors.index.json'));
    expect(ckpt.tensors.get('lm_head.weight')).toMatchObject({ dtype: 'F16', shape: [50400, 128] });
    expect(ckpt.tensors.get('lm_head.weight')!.file.name).toBe('model-00002-of-00003.safetensors');
    expect(ckpt.tensors.size).toBe(4 * 10 + 5);
    ckpt.close();
  });

  it('round-trips through the writer, streaming chunks', () => {
    const path = join(dir, 'written.safetensors');
    const a = new Float32Array([1, 2, 3, 4, 5, 6]);
    writeSafetensors(path, [
      { name: 'a', dtype: 'F32', shape: [2, 3], data: () => [new Uint8Array(a.buffer, 0, 8), new Uint8Array(a.buffer, 8)] },
      { name: 'b', dtype: 'BF16', shape: [1], data: new Uint8Array([0x80, 0x3f]) },
    ]);
    const ckpt = openSafetensors(path);
    const e = ckpt.tensors.get('a')!;
    expect(e.offset % 8).toBe(0);
    expect(new Float32Array(e.file.read(e.offset, e.byteLength).slice().buffer)).toEqual(a);
    expect(ckpt.tensors.get('b')).toMatchObject({ dtype: 'BF16', shape: [1], byteLength: 2 });
    ckpt.close();
  });

  // Pages cached by the write would be 4 KiB folios, which the next load would map as such.
  it.skipIf(statfsSync(dir).type === 0x01021994 /* tmpfs: the cache is the file */)('the written file leaves the page cache', () => {
    const path = join(dir, 'uncached.safetensors');
    writeSafetensors(path, [{ name: 'w', dtype: 'F16', shape: [1024, 2048], data: new Uint8Array(1024 * 2048 * 2).fill(0x3c) }]);
    const { size, resident } = fileCacheResidency(path);
    expect(size).toBeGreaterThan(4 << 20);
    expect(resident).toBeLessThan(size / 10);
  });

  it('a cache drop that fails does not fail the write', () => {
    expect(() => dropWrittenFile(join(dir, 'not-written.safetensors'))).not.toThrow();
    expect(() => dropWrittenFile(dir)).not.toThrow();
  });

  it('writer refuses a stream that does not match the shape', () => {
    expect(() => writeSafetensors(join(dir, 'bad.safetensors'), [{ name: 'a', dtype: 'F32', shape: [4], data: new Uint8Array(12) }])).toThrow(
      /"a" produced 12 bytes, its shape needs 16/,
    );
  });

  const t = (dtype: string, shape: number[], offsets: number[]) => ({ dtype, shape, data_offsets: offsets });
  it.each([
    [
      'too short',
      () => {
        const p = join(dir, 's');
        writeFileSync(p, Buffer.alloc(5));
        return p;
      },
      /too short/,
    ],
    ['header length past the end', () => rawFile('h', { a: t('F32', [1], [0, 4]) }, 4, 1e6), /header length 1000000 runs past the end/],
    ['bad JSON', () => rawFile('j', '{"a": [', 0), /not valid UTF-8 JSON/],
    ['header not an object', () => rawFile('o', '[1, 2]', 0), /not a JSON object/],
    ['unknown dtype', () => rawFile('d', { w: t('F7', [1], [0, 4]) }, 4), /tensor "w".*unknown dtype "F7"/],
    ['bad shape', () => rawFile('sh', { w: t('F32', [-1], [0, 4]) }, 4), /"w".*shape \[-1\]/],
    // described by kind and size: serialising it for the message overflowed the stack (found by the fuzz target)
    [
      'shape nested 20,000 deep',
      () => rawFile('deep', `{"w": {"dtype": "F32", "shape": ${'['.repeat(20_000)}${']'.repeat(20_000)}, "data_offsets": [0, 4]}}`, 4),
      /"w".*shape a list of 1 items is not a list of non-negative integers/,
    ],
    ['offsets reversed', () => rawFile('r', { w: t('F32', [1], [4, 0]) }, 4), /"w".*begin <= end/],
    ['offsets out of range (truncated data)', () => rawFile('t', { w: t('F32', [4], [0, 16]) }, 8), /"w".*run past the end of the data \(8 bytes/],
    ['size not matching shape', () => rawFile('m', { w: t('F32', [3], [0, 8]) }, 12), /"w".*hold 8 bytes but shape \[3\] of F32 needs 12/],
    ['overlapping tensors', () => rawFile('ov', { w: t('F32', [2], [0, 8]), v: t('F32', [2], [4, 12]) }, 12), /"v".*overlaps that of "w"/],
  ])('rejects %s with a CheckpointFormatError naming file and tensor', (_, make, message) => {
    const path = (make as () => string)();
    expect(() => open(path)).toThrow(CheckpointFormatError);
    expect(() => open(path)).toThrow(message as RegExp);
  });

  it('rejects shard indexes that disagree with their shards', () => {
    const shardDir = mkdtempSync(join(dir, 'shards-'));
    copyFileSync(fixturePath('gptj-small-f32', 'model.safetensors'), join(shardDir, 'one.safetensors'));
    const index = join(shardDir, 'model.safetensors.index.json');
    writeFileSync(index, JSON.stringify({ weight_map: { 'transformer.wte.weight': 'one.safetensors', ghost: 'one.safetensors' } }));
    expect(() => openSafetensorsIndex(index)).toThrow(/tensor "ghost".*does not hold it/);
    writeFileSync(index, JSON.stringify({ weight_map: { 'transformer.wte.weight': 'one.safetensors' } }));
    expect(() => openSafetensorsIndex(index)).toThrow(/holds a tensor the shard index does not list/);
    writeFileSync(index, JSON.stringify({ weight_map: { x: '../etc/passwd' } }));
    expect(() => openSafetensorsIndex(index)).toThrow(/not a file name in the same directory/);
    writeFileSync(index, '{"weight_map": 3}');
    expect(() => openSafetensorsIndex(index)).toThrow(/not a valid shard index/);
  });
});

describe('writeShardedSafetensors', () => {
  it('splits tensors into size-bounded shards that the index reader reassembles', () => {
    const shardDir = mkdtempSync(join(dir, 'sharded-'));
    const t = (name: string, n: number) => ({ name, dtype: 'F32' as const, shape: [n], data: new Uint8Array(new Float32Array(n).fill(n).buffer) });
    const names = writeShardedSafetensors(shardDir, [t('a', 10), t('b', 10), t('c', 30), t('d', 1)], 80);
    expect(names).toEqual(['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
    const ckpt = openSafetensorsIndex(join(shardDir, 'model.safetensors.index.json'));
    expect([...ckpt.tensors.values()].map((e) => [e.name, e.file.name])).toEqual([
      ['a', names[0]],
      ['b', names[0]],
      ['c', names[1]],
      ['d', names[2]],
    ]);
    const c = ckpt.tensors.get('c')!;
    expect(new Float32Array(c.file.read(c.offset, c.byteLength).slice().buffer)[29]).toBe(30);
    ckpt.close();
  });
});
