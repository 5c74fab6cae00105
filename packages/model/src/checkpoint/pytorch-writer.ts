// Writes a state dict the way torch.save does (zip format, pickle protocol 2): archive/data.pkl holds an
// OrderedDict of name -> torch._utils._rebuild_tensor_v2(persistent storage, offset, size, stride, False,
// OrderedDict()), archive/data/<i> the raw bytes of storage i. Used by tests and the random-checkpoint tool.
import { dropWrittenFile } from './drop-cache.js';
import { type StoredDType, STORED_DTYPE_SIZE, elementCount } from './entries.js';
import { type TensorSource, chunksOf } from './tensor-source.js';
import { StoredZipWriter } from './zip-writer.js';

const STORAGE_NAMES: Readonly<Record<StoredDType, string>> = {
  F32: 'FloatStorage',
  F16: 'HalfStorage',
  BF16: 'BFloat16Storage',
  F64: 'DoubleStorage',
  I64: 'LongStorage',
  I32: 'IntStorage',
  I16: 'ShortStorage',
  I8: 'CharStorage',
  U8: 'ByteStorage',
  BOOL: 'BoolStorage',
};

/** Writes `tensors` (one storage each, contiguous) as a torch.save zip archive at `path`, then drops
 * it from the page cache as writeSafetensors does. */
export function writePytorchBin(path: string, tensors: readonly TensorSource[], opts: { forceZip64?: boolean } = {}): void {
  const zip = new StoredZipWriter(path, opts.forceZip64);
  const pkl = statePickle(tensors);
  zip.add('archive/data.pkl', pkl.length, [pkl]);
  zip.add('archive/byteorder', 6, [Buffer.from('little')]);
  tensors.forEach((t, i) => {
    zip.add(`archive/data/${i}`, elementCount(t.shape) * STORED_DTYPE_SIZE[t.dtype], chunksOf(t));
  });
  zip.add('archive/version', 2, [Buffer.from('3\n')]);
  zip.close();
  dropWrittenFile(path);
}

/** The data.pkl of a state dict whose i-th tensor lives alone in storage "i". */
export function statePickle(tensors: readonly TensorSource[]): Buffer {
  const p = new PickleWriter();
  p.op(0x80, 2); // PROTO 2
  p.global('collections', 'OrderedDict');
  p.op(0x29, 0x52); // EMPTY_TUPLE, REDUCE -> OrderedDict()
  tensors.forEach((t, i) => {
    if (i % 1000 === 0) {
      if (i) p.op(0x75);
      p.op(0x28);
    } // SETITEMS per batch of 1000, as pickle does
    p.str(t.name);
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.op(0x28); // MARK (args tuple)
    p.op(0x28); //   MARK (persistent id)
    p.str('storage');
    p.global('torch', STORAGE_NAMES[t.dtype]);
    p.str(String(i));
    p.str('cpu');
    p.int(elementCount(t.shape));
    p.op(0x74, 0x51); //   TUPLE, BINPERSID
    p.int(0); //   storage offset
    p.tuple(t.shape);
    p.tuple(contiguousStrides(t.shape));
    p.op(0x89); //   requires_grad = False
    p.global('collections', 'OrderedDict');
    p.op(0x29, 0x52); //   backward hooks = OrderedDict()
    p.op(0x74, 0x52); // TUPLE, REDUCE
  });
  if (tensors.length) p.op(0x75); // SETITEMS
  p.op(0x2e); // STOP
  return p.bytes();
}

function contiguousStrides(shape: readonly number[]): number[] {
  let acc = 1;
  return shape
    .toReversed()
    .map((size) => {
      const stride = acc;
      acc *= size;
      return stride;
    })
    .reverse();
}

/** Minimal protocol-2 pickler: ints, strings, int tuples and memoized globals (BINPUT/BINGET like CPython). */
class PickleWriter {
  private parts: Buffer[] = [];
  private memo = new Map<string, number>();

  op(...codes: number[]): void {
    this.parts.push(Buffer.from(codes));
  }

  int(v: number): void {
    if (v >= 0 && v < 256) this.op(0x4b, v);
    else if (v >= 0 && v < 65536) {
      const b = Buffer.alloc(3);
      b[0] = 0x4d;
      b.writeUInt16LE(v, 1);
      this.parts.push(b);
    } else if (v >= -(2 ** 31) && v < 2 ** 31) {
      const b = Buffer.alloc(5);
      b[0] = 0x4a;
      b.writeInt32LE(v, 1);
      this.parts.push(b);
    } else {
      const b = Buffer.alloc(10);
      b[0] = 0x8a;
      b[1] = 8;
      b.writeBigInt64LE(BigInt(v), 2);
      this.parts.push(b);
    }
  }

  str(s: string): void {
    const body = Buffer.from(s, 'utf8');
    const head = Buffer.alloc(5);
    head[0] = 0x58;
    head.writeUInt32LE(body.length, 1); // BINUNICODE
    this.parts.push(head, body);
  }

  tuple(items: readonly number[]): void {
    if (items.length === 0) {
      this.op(0x29);
      return;
    }
    if (items.length > 3) this.op(0x28);
    for (const v of items) this.int(v);
    this.op(items.length > 3 ? 0x74 : 0x84 + items.length); // TUPLE, or TUPLE1..TUPLE3 (0x85..0x87)
  }

  global(module: string, name: string): void {
    const key = `${module}\n${name}\n`;
    const at = this.memo.get(key);
    if (at !== undefined) {
      this.memoOp(at, 0x68, 0x6a);
      return;
    } // BINGET / LONG_BINGET
    this.parts.push(Buffer.from(`c${key}`, 'utf8')); // GLOBAL
    this.memo.set(key, this.memo.size);
    this.memoOp(this.memo.size - 1, 0x71, 0x72); // BINPUT / LONG_BINPUT
  }

  private memoOp(i: number, short: number, long: number): void {
    if (i < 256) {
      this.op(short, i);
      return;
    }
    const b = Buffer.alloc(5);
    b[0] = long;
    b.writeUInt32LE(i, 1);
    this.parts.push(b);
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}
