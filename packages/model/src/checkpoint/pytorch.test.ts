import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPytorchBin } from './pytorch.js';
import { statePickle, writePytorchBin } from './pytorch-writer.js';
import { unpickleStateDict } from './pickle.js';
import { CheckpointFormatError, UnsafePickleError } from '../errors.js';
import type { TensorSource } from './tensor-source.js';
import { cpythonPickle, hasPython } from '../test-support/cpython-pickle.js';
import { StoredZipWriter } from './zip-writer.js';
import { MAX_ZIP_ENTRIES } from './zip-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'gptj-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const f32 = (xs: number[]): Uint8Array => new Uint8Array(new Float32Array(xs).buffer);
const sample: TensorSource[] = [
  { name: 'a.weight', dtype: 'F32', shape: [2, 3], data: f32([1, 2, 3, 4, 5, 6]) },
  { name: 'b.bias', dtype: 'F16', shape: [4], data: new Uint8Array([0, 60, 0, 64, 0, 66, 0, 68]) },
  { name: 'c.mask', dtype: 'BOOL', shape: [1, 1, 2, 2], data: new Uint8Array([1, 0, 1, 1]) },
  { name: 'd.scalar', dtype: 'F32', shape: [], data: f32([-1e4]) },
];

/** A torch.save-shaped archive of `tensors` whose data.pkl went through `patch`, with `extra` empty entries after it. */
function writeCustomBin(path: string, tensors: TensorSource[], patch: (pkl: Buffer) => Buffer, extra = 0): string {
  const zip = new StoredZipWriter(path);
  const pkl = patch(statePickle(tensors));
  zip.add('archive/data.pkl', pkl.length, [pkl]);
  tensors.forEach((t, i) => zip.add(`archive/data/${i}`, (t.data as Uint8Array).length, [t.data as Uint8Array]));
  for (let i = 0; i < extra; i++) zip.add(`archive/extra/${i}`, 0, []);
  zip.close();
  return path;
}
/** Replaces the storage offset (BININT1 0 right after the persistent id) of the `index`-th tensor with `op`. */
function offsetPatch(index: number, op: number[]): (pkl: Buffer) => Buffer {
  return (pkl) => {
    let at = -1;
    for (let i = 0; i <= index; i++) at = pkl.indexOf(Buffer.from([0x74, 0x51, 0x4b, 0x00]), at + 1);
    return Buffer.concat([pkl.subarray(0, at + 2), Buffer.from(op), pkl.subarray(at + 4)]);
  };
}
const le = (bytes: number, v: bigint): number[] => [...Array(bytes).keys()].map((i) => Number((BigInt.asUintN(8 * bytes, v) >> BigInt(8 * i)) & 0xffn));

describe('PyTorch .bin', () => {
  it('round-trips a state dict written in torch.save layout, data 64-byte aligned', () => {
    const path = join(dir, 'rt.bin');
    writePytorchBin(path, sample);
    const ckpt = openPytorchBin(path);
    try {
      expect([...ckpt.tensors.keys()]).toEqual(sample.map((t) => t.name));
      for (const t of sample) {
        const e = ckpt.tensors.get(t.name)!;
        expect(e.dtype).toBe(t.dtype);
        expect(e.shape).toEqual(t.shape);
        expect(e.offset % 64).toBe(0);
        expect(e.file.read(e.offset, e.byteLength)).toEqual(t.data);
      }
    } finally {
      ckpt.close();
    }
  });

  it('reads zip64 archives (the layout of checkpoints past 4 GiB)', () => {
    const path = join(dir, 'z64.bin');
    writePytorchBin(path, sample, { forceZip64: true });
    const ckpt = openPytorchBin(path);
    const e = ckpt.tensors.get('a.weight')!;
    expect(new Float32Array(e.file.read(e.offset, e.byteLength).slice().buffer)).toEqual(new Float32Array([1, 2, 3, 4, 5, 6]));
    ckpt.close();
  });

  it('refuses a zip64 entry whose extra field lacks the 64-bit values its saturated fields need', () => {
    const path = join(dir, 'z64-lacking.bin');
    writePytorchBin(path, sample, { forceZip64: true }); // every central entry saturates its sizes and offset: 3 values
    const good = readFileSync(path);
    const central = good.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); // the first central directory entry
    const extra = central + 46 + good.readUInt16LE(central + 28); // after its name: the zip64 field's id and size
    const name = JSON.stringify(good.toString('utf8', central + 46, extra));
    expect([good.readUInt16LE(extra), good.readUInt16LE(extra + 2)]).toEqual([0x0001, 24]);
    for (const [at, value] of [
      [extra, 0x9999], // no zip64 field at all
      [extra + 2, 16], // one holding two of the three values
    ] as const) {
      const bad = Buffer.from(good);
      bad.writeUInt16LE(value, at);
      writeFileSync(path, bad);
      expect(() => openPytorchBin(path)).toThrow(new CheckpointFormatError('z64-lacking.bin', `zip archive: entry ${name} lacks its zip64 sizes`));
    }
  });

  it.skipIf(!hasPython)("writes archives Python's zipfile and pickletools accept (CRCs, opcodes, zip64)", () => {
    const path = join(dir, 'py.bin');
    writePytorchBin(path, sample, { forceZip64: true });
    const out = execFileSync(
      'python3',
      [
        '-c',
        `
import zipfile, pickletools, sys
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(sorted(z.namelist()))
pickletools.dis(z.read('archive/data.pkl'), out=open('/dev/null', 'w'))
print('ok')`,
        path,
      ],
      { encoding: 'utf8' },
    );
    expect(out).toContain("'archive/data.pkl'");
    expect(out.trim().endsWith('ok')).toBe(true);
  });

  it.skipIf(!hasPython)('reads pickles as CPython writes them (protocol 2 from pickle.dumps of stand-in classes)', () => {
    // A pickle produced by CPython itself, with globals renamed to torch's, so the opcode mix is real.
    const py = cpythonPickle(`
sd = collections.OrderedDict()
sd['x'] = T('0', (3, 4), 100000, 0, (4, 1))
sd['y'] = T('0', (70000,), 100000, 12, (1,))
sd['z'] = T('1', (2, 1, 3), 100000, 5, (3, 99, 1))
sd._metadata = collections.OrderedDict(x=dict(version=1))
P(sys.stdout.buffer, protocol=2).dump(sd)`);
    const got = unpickleStateDict(py, 'cpython.pkl');
    expect([...got.keys()]).toEqual(['x', 'y', 'z']);
    expect(got.get('x')).toMatchObject({ storageOffset: 0, shape: [3, 4], stride: [4, 1], storage: { key: '0', dtype: 'F32', numel: 100000 } });
    expect(got.get('y')).toMatchObject({ storageOffset: 12, shape: [70000] });
    expect(got.get('z')).toMatchObject({ storageOffset: 5, shape: [2, 1, 3], stride: [3, 99, 1] });
  });

  it('refuses globals other than the tensor-rebuild ones, naming them', () => {
    const evil = Buffer.from('\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.', 'latin1');
    expect(() => unpickleStateDict(evil, 'evil.bin')).toThrow(UnsafePickleError);
    expect(() => unpickleStateDict(evil, 'evil.bin')).toThrow(/os\.system.*never run code/);
    const builtins = Buffer.from('\x80\x02c__builtin__\neval\nq\x00.', 'latin1');
    expect(() => unpickleStateDict(builtins, 'e.bin')).toThrow(/__builtin__\.eval/);
  });

  it('rejects truncated pickles and non-tensor values with a format error', () => {
    const pkl = statePickle(sample);
    expect(() => unpickleStateDict(pkl.subarray(0, pkl.length - 20), 'cut.bin')).toThrow(CheckpointFormatError);
    const notTensors = Buffer.from('\x80\x02}q\x00X\x01\x00\x00\x00aK\x01s.', 'latin1');
    expect(() => unpickleStateDict(notTensors, 'n.bin')).toThrow(/entry "a" is 1, not a tensor/);
  });

  it('rejects non-contiguous tensors and storages too small for the tensor', () => {
    // Patch the pickled stride of "a.weight" ((3, 1) -> (1, 2)): a transposed view.
    const path = join(dir, 'strided.bin');
    writePytorchBin(path, sample.slice(0, 1));
    const bytes = readFileSync(path);
    const at = bytes.indexOf(Buffer.from([0x4b, 0x03, 0x4b, 0x01, 0x86])); // BININT1 3, BININT1 1, TUPLE2
    bytes[at + 1] = 1;
    bytes[at + 3] = 2;
    writeFileSync(path, bytes);
    expect(() => openPytorchBin(path)).toThrow(/"a.weight".*not contiguous/);
  });

  it.skipIf(!hasPython)('rejects archives whose entries are compressed (data could not be read in place)', () => {
    const src = join(dir, 'plain.bin');
    const deflated = join(dir, 'deflated.bin');
    writePytorchBin(src, sample);
    execFileSync('python3', [
      '-c',
      `
import zipfile, sys
with zipfile.ZipFile(sys.argv[1]) as a, zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as b:
    for n in a.namelist(): b.writestr(n, a.read(n))`,
      src,
      deflated,
    ]);
    expect(() => openPytorchBin(deflated)).toThrow(/deflated.bin: .*compressed/);
  });

  it('rejects files that are not zip archives or are truncated', () => {
    const legacy = join(dir, 'legacy.bin');
    writeFileSync(legacy, Buffer.from('\x80\x02\x8a\x0alz\xfc\x9cF\xf9 j\xa8P\x19.', 'latin1'));
    expect(() => openPytorchBin(legacy)).toThrow(/not a zip archive/);
    const full = join(dir, 'full.bin');
    writePytorchBin(full, sample);
    const cut = join(dir, 'cut.bin');
    writeFileSync(cut, readFileSync(full).subarray(0, 400));
    expect(() => openPytorchBin(cut)).toThrow(CheckpointFormatError);
  });

  it.each([
    ['negative (BININT -4)', [0x4a, ...le(4, -4n)]],
    ['2^53 + 2 (LONG1)', [0x8a, 8, ...le(8, 2n ** 53n + 2n)]],
    ['2^63 - 1 (LONG1)', [0x8a, 8, ...le(8, 2n ** 63n - 1n)]],
    ['1.5 (BINFLOAT)', [0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]],
    ['NaN (BINFLOAT)', [0x47, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]],
  ])("refuses a storage offset of %s instead of reading another tensor's bytes", (_, op) => {
    // The second tensor's storage offset edited: -4 would have read the last element of the tensor before it.
    const path = writeCustomBin(join(dir, 'offset.bin'), sample.slice(0, 2), offsetPatch(1, op));
    expect(() => openPytorchBin(path)).toThrow(CheckpointFormatError);
    expect(() => openPytorchBin(path)).toThrow(/offset\.bin: (.*malformed _rebuild_tensor_v2|.*integer of 8 bytes out of range)/);
  });

  it('refuses a tensor window past its storage, and sizes whose product passes 2^53', () => {
    // A storage offset of 1 on a storage that holds exactly the tensor: one element past the end.
    const past = writeCustomBin(join(dir, 'past.bin'), sample.slice(0, 1), offsetPatch(0, [0x4b, 1]));
    expect(() => openPytorchBin(past)).toThrow(/"a.weight".*elements 1\.\. of shape \[2,3\] lie outside storage 0 \(6 elements\)/);
    // shape (2, 3) -> (2^40, 2^40), strides (2^40, 1): contiguous, 2^80 elements, 24 bytes of storage.
    const huge = writeCustomBin(join(dir, 'huge.bin'), sample.slice(0, 1), (pkl) => {
      const at = pkl.indexOf(Buffer.from([0x4b, 0x02, 0x4b, 0x03, 0x86, 0x4b, 0x03, 0x4b, 0x01, 0x86]));
      const big = [0x8a, 8, ...le(8, 2n ** 40n)];
      return Buffer.concat([pkl.subarray(0, at), Buffer.from([...big, ...big, 0x86, ...big, 0x4b, 1, 0x86]), pkl.subarray(at + 10)]);
    });
    expect(() => openPytorchBin(huge)).toThrow(/"a.weight".*elements 0\.\. of shape \[1099511627776,1099511627776\] lie outside storage 0/);
  });

  it(`opens an archive with 90,000 extra entries in linear time, and refuses more than ${MAX_ZIP_ENTRIES} entries`, () => {
    const many = writeCustomBin(join(dir, 'many.bin'), sample.slice(0, 1), (p) => p, 90_000);
    const start = performance.now();
    const ckpt = openPytorchBin(many);
    const ms = performance.now() - start;
    expect([...ckpt.tensors.keys()]).toEqual(['a.weight']);
    ckpt.close();
    expect(ms).toBeLessThan(3000); // one read of the directory (0.2 s here); reading each entry's local header took 13 s
    const tooMany = writeCustomBin(join(dir, 'too-many.bin'), sample.slice(0, 1), (p) => p, MAX_ZIP_ENTRIES);
    expect(() => openPytorchBin(tooMany)).toThrow(/too-many\.bin: zip archive: 100002 entries exceeds the limit of 100000/);
  });

  it('refuses duplicated entry names and an archive cut inside its central directory', () => {
    const path = join(dir, 'dup.bin');
    const zip = new StoredZipWriter(path);
    const pkl = statePickle([]);
    zip.add('archive/data.pkl', pkl.length, [pkl]);
    zip.add('archive/data.pkl', pkl.length, [pkl]);
    zip.close();
    expect(() => openPytorchBin(path)).toThrow(/dup\.bin: zip archive: entry "archive\/data\.pkl" appears twice/);
    writePytorchBin(path, sample);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 30));
    expect(() => openPytorchBin(path)).toThrow(CheckpointFormatError);
  });
});
