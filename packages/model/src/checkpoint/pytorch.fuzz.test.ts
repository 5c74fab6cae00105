// Fuzz targets for the PyTorch .bin readers (issue 15): the zip reader (with the unpickler behind it), the
// unpickler alone, and the shard index. Seeds are archives written by the project's own writePytorchBin (plain
// and zip64) from the fixture's small tensors, mutated; pickles also come from random opcode sequences built
// from the opcodes torch.save uses (and fragments of real state-dict pickles). Invariant: the reader returns
// tensors that lie inside the file and read back, or throws a CheckpointFormatError (UnsafePickleError
// included); every input within the time bound.
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath } from '@gptj/test-fixtures';
import { fuzz, fuzzTimeoutMs } from '@gptj/test-fixtures/fuzz';
import { afterAll, describe, it } from 'vitest';
import { CheckpointFile } from './file.js';
import { FILE_INPUT_BOUND, InputFile, edits, fuzzScratchDir, mutate, mutatedOrGenerated, onlyTypedErrors } from '../test-support/mutate.js';
import { unpickleStateDict } from './pickle.js';
import { openPytorchIndex, readPytorchTensors } from './pytorch.js';
import { statePickle, writePytorchBin } from './pytorch-writer.js';
import { openSafetensors } from './safetensors.js';
import type { TensorSource } from './tensor-source.js';
import { CheckpointFormatError } from '../errors.js';
import { at } from '../at.js';

const root = fuzzScratchDir('gptj-bin-fuzz-');
afterAll(() => rmSync(root, { recursive: true, force: true }));
const enc = new TextEncoder();

const fixture = openSafetensors(fixturePath('gptj-small-f32', 'model.safetensors'));
const small: TensorSource[] = [...fixture.tensors.values()]
  .filter((e) => e.byteLength <= 1024)
  .slice(0, 6)
  .map((e) => ({ name: e.name, dtype: e.dtype, shape: e.shape, data: e.file.read(e.offset, e.byteLength).slice() }));
fixture.close();
const odd: TensorSource[] = [
  { name: 'mask', dtype: 'BOOL', shape: [1, 1, 2, 2], data: new Uint8Array([1, 0, 1, 1]) },
  { name: 'scalar', dtype: 'F16', shape: [], data: new Uint8Array([0, 60]) },
  { name: 'empty', dtype: 'F32', shape: [0, 3], data: new Uint8Array(0) },
];
function written(name: string, tensors: TensorSource[], forceZip64 = false): Uint8Array {
  writePytorchBin(join(root, name), tensors, { forceZip64 });
  return new Uint8Array(readFileSync(join(root, name)));
}
const binSeeds = [written('a.bin', small), written('b.bin', [...small.slice(0, 2), ...odd], true), written('c.bin', odd)];
const pickleSeeds = [statePickle(small), statePickle(odd), statePickle([])].map((b) => new Uint8Array(b));

// Random opcode sequences: single opcodes, opcodes with edge arguments, the globals torch.save uses (and some it
// must refuse), and whole fragments of a real state-dict pickle (one tensor's rebuild call).
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const str = (s: string) => {
  const b = enc.encode(s);
  return [0x8c, b.length, ...b];
};
const line = (op: number, s: string) => [op, ...enc.encode(`${s}\n`)];
const fragment = [...at(pickleSeeds, 0)].slice(2, -1);
const opArb: fc.Arbitrary<number[]> = fc.oneof(
  {
    arbitrary: fc
      .constantFrom(
        0x28,
        0x29,
        0x5d,
        0x7d,
        0x4e,
        0x88,
        0x89,
        0x74,
        0x85,
        0x86,
        0x87,
        0x61,
        0x65,
        0x73,
        0x75,
        0x94,
        0x51,
        0x52,
        0x62,
        0x30,
        0x31,
        0x32,
        0x2e,
        0x95,
        0x8b,
        0x00,
      )
      .map((o) => [o]),
    weight: 10,
  },
  { arbitrary: fc.tuple(fc.constantFrom(0x4b, 0x71, 0x68, 0x80), fc.nat(255)).map(([o, n]) => [o, n]), weight: 4 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom(0x4a, 0x72, 0x6a, 0x58, 0x42), fc.oneof(fc.nat(8), fc.constantFrom(0xffffffff, 0x7fffffff, 0x80000000)))
      .map(([o, n]) => [o, ...u32(n)]),
    weight: 2,
  },
  {
    arbitrary: fc.tuple(fc.nat(9), fc.nat()).map(([n, v]) => [
      0x8a,
      n,
      ...u32(v)
        .concat(u32(v ^ 0x80808080), [v & 0xff])
        .slice(0, n),
    ]),
    weight: 1,
  },
  { arbitrary: fc.constantFrom('storage', 'cpu', '0', '1', 'a', 'FloatStorage', 'collections', 'OrderedDict', '').map(str), weight: 3 },
  {
    arbitrary: fc
      .constantFrom(
        'collections\nOrderedDict',
        'torch._utils\n_rebuild_tensor_v2',
        'torch._utils\n_rebuild_parameter',
        'torch\nFloatStorage',
        'torch\nHalfStorage',
        'torch\nBoolStorage',
        'os\nsystem',
        'builtins\neval',
        'torch\n__class__',
      )
      .map((g) => line(0x63, g.split('\n').join('\n'))),
    weight: 3,
  },
  {
    arbitrary: fc
      .tuple(fc.constantFrom(0x49, 0x4c, 0x70, 0x67), fc.constantFrom('0', '1', '01', '-1', '9007199254740993', '1e5', 'x', ''))
      .map(([o, s]) => line(o, s)),
    weight: 1,
  },
  { arbitrary: fc.constant(fragment), weight: 1 },
);
const opcodePickles = fc.array(opArb, { maxLength: 40 }).map((ops) => Uint8Array.from([0x80, 0x02, ...ops.flat(), 0x2e]));

const input = new InputFile(join(root, 'input.bin'));
/** Opens `bytes` as a .bin; each tensor must lie inside the file and read back, or a typed error comes. */
function checkBin(bytes: Uint8Array): void {
  input.write(bytes);
  const file = new CheckpointFile(input.path);
  try {
    onlyTypedErrors(() => {
      for (const e of readPytorchTensors(file).values()) {
        if (!(e.offset >= 0 && e.offset + e.byteLength <= file.size)) throw new Error(`${e.name} lies outside the file`);
        file.read(e.offset, e.byteLength);
      }
    }, CheckpointFormatError);
  } finally {
    file.close();
  }
}

// Shards for the index target, with a FIFO, a device and a directory among them.
const shardDir = join(root, 'shards');
mkdirSync(shardDir);
writePytorchBin(join(shardDir, 'pytorch_model-00001-of-00002.bin'), small.slice(0, 3));
writePytorchBin(join(shardDir, 'pytorch_model-00002-of-00002.bin'), small.slice(3));
execFileSync('mkfifo', [join(shardDir, 'pipe.bin')]);
symlinkSync('/dev/zero', join(shardDir, 'zero.bin'));
mkdirSync(join(shardDir, 'dir.bin'));
const weightMap = Object.fromEntries(small.map((t, i) => [t.name, `pytorch_model-0000${i < 3 ? 1 : 2}-of-00002.bin`]));
const indexSeed = enc.encode(JSON.stringify({ metadata: { total_size: 1 }, weight_map: weightMap }, null, 2));
const SHARDS = [
  'pytorch_model-00001-of-00002.bin',
  'pytorch_model-00002-of-00002.bin',
  'pipe.bin',
  'zero.bin',
  'dir.bin',
  'missing.bin',
  '.',
  '..',
  '',
  'a/b',
  '../x',
  'a\0b',
  '__proto__',
];
const generatedIndexArb = fc
  .dictionary(
    fc.constantFrom(...small.map((t) => t.name), 'ghost', '__proto__'),
    fc.oneof({ arbitrary: fc.constantFrom(...SHARDS), weight: 10 }, { arbitrary: fc.constantFrom(3, null, [], {}), weight: 1 }),
  )
  .map((map) => enc.encode(JSON.stringify({ weight_map: map })));
const index = new InputFile(join(shardDir, 'pytorch_model.bin.index.json'));

describe('PyTorch .bin fuzz targets', () => {
  it(
    'zip reader: tensors inside the file that read back, or a CheckpointFormatError',
    () => {
      fuzz(
        'zip-reader',
        [fc.tuple(fc.nat(binSeeds.length - 1), edits()).map(([s, e]) => mutate(at(binSeeds, s), e, binSeeds))],
        (bytes) => {
          checkBin(bytes);
        },
        FILE_INPUT_BOUND,
      );
    },
    fuzzTimeoutMs,
  );

  it(
    'unpickler: a dict of well-formed tensors, or a CheckpointFormatError',
    () => {
      fuzz(
        'unpickler',
        [mutatedOrGenerated(pickleSeeds, opcodePickles, { generatedDonors: () => pickleSeeds, weights: [1, 1] })],
        (bytes) => {
          onlyTypedErrors(() => {
            for (const [name, t] of unpickleStateDict(bytes, 'fuzz.bin')) {
              const counts = [t.storageOffset, t.storage.numel, ...t.shape, ...t.stride];
              if (!counts.every((v) => Number.isSafeInteger(v) && v >= 0)) throw new Error(`tensor ${name} has a bad offset, size or stride`);
            }
          }, CheckpointFormatError);
        },
        { maxMsPerInput: 1000 },
      );
    },
    fuzzTimeoutMs,
  );

  it(
    'index reader: opens, or a CheckpointFormatError (FIFOs, devices, directories and bad names among the shards)',
    () => {
      fuzz(
        'pytorch-index',
        [mutatedOrGenerated([indexSeed], generatedIndexArb)],
        (bytes) => {
          index.write(bytes);
          onlyTypedErrors(() => openPytorchIndex(index.path).close(), CheckpointFormatError);
        },
        FILE_INPUT_BOUND,
      );
    },
    fuzzTimeoutMs,
  );
});
