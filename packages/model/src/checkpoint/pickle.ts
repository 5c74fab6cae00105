// A restricted unpickler for PyTorch state dicts. Python's pickle can call any importable function; this
// one knows only the few globals torch.save writes for a dict of tensors and refuses every other global,
// so loading a checkpoint can never run code. Opcodes: https://github.com/python/cpython/blob/main/Lib/pickletools.py
import { type StoredDType } from './entries.js';
import { CheckpointFormatError, UnsafePickleError } from '../errors.js';

/** A storage named by torch's persistent id ('storage', <dtype>Storage, key, location, numel). */
export interface PickledStorage {
  readonly key: string;
  readonly dtype: StoredDType;
  readonly numel: number;
}

/** A tensor as _rebuild_tensor_v2 describes it: a strided window (in elements) on a storage. */
export interface PickledTensor {
  readonly storage: PickledStorage;
  readonly storageOffset: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
}

// torch.<Name>Storage -> element type of its bytes.
const STORAGE_TYPES: ReadonlyMap<string, StoredDType> = new Map([
  ['FloatStorage', 'F32'],
  ['HalfStorage', 'F16'],
  ['BFloat16Storage', 'BF16'],
  ['DoubleStorage', 'F64'],
  ['LongStorage', 'I64'],
  ['IntStorage', 'I32'],
  ['ShortStorage', 'I16'],
  ['CharStorage', 'I8'],
  ['ByteStorage', 'U8'],
  ['BoolStorage', 'BOOL'],
]);

// Limits: the unpickler's work is linear in the size of data.pkl (every opcode consumes at least one byte, and
// none does more than O(1) work per item it pushes or pops), and these bound its memory. A GPT-J 6B data.pkl
// (285 weights + 56 buffers, as CPython pickles it: pickle-limits.test.ts) is 41 KB with 2,713 memo entries, a
// dict of 341 and a shallow stack; a sharded save of a far larger model stays orders of magnitude below.
export const PICKLE_LIMITS = {
  bytes: 64 << 20, // size of data.pkl (checked by the reader before it reads the entry, and here)
  stack: 1 << 20, // items on the stack, marks included
  memo: 1 << 20, // memo entries
  items: 1 << 20, // items in one list or dict
} as const;

class Global {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
}
class StorageType {
  constructor(readonly dtype: StoredDType) {}
}
// What _rebuild_tensor_v2 and persistent ids become; classes, so that nothing else can pass for them.
class Storage implements PickledStorage {
  constructor(
    readonly key: string,
    readonly dtype: StoredDType,
    readonly numel: number,
  ) {}
}
class RebuiltTensor implements PickledTensor {
  constructor(
    readonly storage: Storage,
    readonly storageOffset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

/** Unpickles a torch.save'd dict of tensors (data.pkl) into name -> tensor. `file` names the checkpoint in errors. */
export function unpickleStateDict(bytes: Uint8Array, file: string): Map<string, PickledTensor> {
  const fail = (msg: string): never => {
    throw new CheckpointFormatError(file, `data.pkl: ${msg}`);
  };
  if (bytes.length > PICKLE_LIMITS.bytes) fail(`${bytes.length} bytes exceeds the ${PICKLE_LIMITS.bytes}-byte limit`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder();
  const stack: unknown[] = [];
  const marks: number[] = []; // stack lengths at each MARK (CPython's metastack): ops never pop below the last one
  const memo = new Map<number, unknown>();
  const storages = new Map<string, Storage>();
  let pos = 0;

  const need = (n: number): number => {
    if (pos + n > bytes.length) fail(`truncated at byte ${pos}`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = (): number => view.getUint8(need(1));
  const u16 = (): number => view.getUint16(need(2), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const str = (n: number): string => text.decode(bytes.subarray(need(n), pos));
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated text line');
    const s = text.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const push = (v: unknown): void => {
    if (stack.length + marks.length >= PICKLE_LIMITS.stack) fail(`stack grows past ${PICKLE_LIMITS.stack} items`);
    stack.push(v);
  };
  const floor = (): number => marks.at(-1) ?? 0;
  const pop = (): unknown => (stack.length > floor() ? stack.pop() : fail('stack underflow'));
  const top = (): unknown => (stack.length > floor() ? stack[stack.length - 1] : fail('stack underflow'));
  const mark = (): void => {
    if (stack.length + marks.length >= PICKLE_LIMITS.stack) fail(`stack grows past ${PICKLE_LIMITS.stack} items`);
    marks.push(stack.length);
  };
  const popMark = (): unknown[] => {
    const at = marks.pop() ?? fail('no MARK on the stack');
    return stack.splice(at);
  };
  const memoPut = (key: number): void => {
    if (!memo.has(key) && memo.size >= PICKLE_LIMITS.memo) fail(`memo grows past ${PICKLE_LIMITS.memo} entries`);
    memo.set(key, top());
  };
  const append = (target: unknown, items: unknown[]): void => {
    if (!Array.isArray(target) || Object.isFrozen(target)) return fail(`APPEND to ${describe(target)}, not a list`);
    if (target.length + items.length > PICKLE_LIMITS.items) fail(`a list grows past ${PICKLE_LIMITS.items} items`);
    for (const v of items) target.push(v); // not push(...items): a spread of many items overflows the call stack
  };
  const setItems = (target: unknown, kv: unknown[]): void => {
    if (!(target instanceof Map)) return fail(`SETITEM on ${describe(target)}, not a dict`);
    for (let i = 0; i + 1 < kv.length; i += 2) {
      target.set(kv[i], kv[i + 1]);
      if (target.size > PICKLE_LIMITS.items) fail(`a dict grows past ${PICKLE_LIMITS.items} entries`);
    }
  };
  const asString = (v: unknown): string => (typeof v === 'string' ? v : fail(`STACK_GLOBAL names ${describe(v)}, not a string`));
  const resolveGlobal = (module: string, name: string): Global | StorageType => {
    const dtype = module === 'torch' ? STORAGE_TYPES.get(name) : undefined;
    if (dtype) return new StorageType(dtype);
    const allowed = ['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter'];
    if (!allowed.includes(`${module}.${name}`)) {
      throw new UnsafePickleError(
        file,
        `data.pkl refers to ${clip(module)}.${clip(name)}, which is not a tensor-rebuild global; ` + 'refusing to load it (a checkpoint must never run code)',
      );
    }
    return new Global(module, name);
  };
  const persistentLoad = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length !== 5 || !(pid[1] instanceof StorageType) || typeof pid[2] !== 'string' || !isCount(pid[4])) {
      return fail(`unsupported persistent id ${describe(pid)} (expected ('storage', <dtype>Storage, key, location, numel))`);
    }
    const storage = new Storage(pid[2], pid[1].dtype, pid[4]);
    const seen = storages.get(storage.key);
    if (seen && (seen.dtype !== storage.dtype || seen.numel !== storage.numel)) {
      fail(`storage ${clip(storage.key)} is used as both ${seen.numel} x ${seen.dtype} and ${storage.numel} x ${storage.dtype}`);
    }
    storages.set(storage.key, storage);
    return storage;
  };
  const reduce = (fn: unknown, args: unknown): unknown => {
    if (!(fn instanceof Global) || !Array.isArray(args)) return fail(`cannot call ${describe(fn)}`);
    switch (`${fn.module}.${fn.name}`) {
      case 'collections.OrderedDict':
        return new Map();
      case 'torch._utils._rebuild_parameter':
        return args[0];
      default: {
        // torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata])
        const [storage, storageOffset, shape, stride] = args;
        if (!(storage instanceof Storage) || !isCount(storageOffset) || !isCountList(shape) || !isCountList(stride) || shape.length !== stride.length) {
          return fail(
            'malformed _rebuild_tensor_v2 arguments: expected (storage, offset, size, stride, ...) with ' +
              `non-negative integer offset, sizes and strides, got (${args.slice(0, 4).map(describe).join(', ')})`,
          );
        }
        return new RebuiltTensor(storage, storageOffset, shape, stride);
      }
    }
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        need(8);
        break; // FRAME
      case 0x2e:
        return finish(pop(), fail); // STOP
      case 0x28:
        mark();
        break; // MARK
      case 0x29:
        push(tuple([]));
        break; // EMPTY_TUPLE
      case 0x5d:
        push([]);
        break; // EMPTY_LIST
      case 0x7d:
        push(new Map());
        break; // EMPTY_DICT
      case 0x4e:
        push(null);
        break; // NONE
      case 0x88:
        push(true);
        break; // NEWTRUE
      case 0x89:
        push(false);
        break; // NEWFALSE
      case 0x4a:
        push(view.getInt32(need(4), true));
        break; // BININT
      case 0x4b:
        push(u8());
        break; // BININT1
      case 0x4d:
        push(u16());
        break; // BININT2
      case 0x8a:
        push(readLong(bytes.subarray(need(u8()), pos), fail));
        break; // LONG1
      case 0x49: {
        const s = line();
        push(s === '01' ? true : s === '00' ? false : Number.parseInt(s, 10));
        break;
      } // INT
      case 0x4c:
        push(Number.parseInt(line(), 10));
        break; // LONG (text)
      case 0x47:
        push(view.getFloat64(need(8), false));
        break; // BINFLOAT
      case 0x58:
        push(str(u32()));
        break; // BINUNICODE
      case 0x8c:
        push(str(u8()));
        break; // SHORT_BINUNICODE
      case 0x54:
        push(str(u32()));
        break; // BINSTRING
      case 0x55:
        push(str(u8()));
        break; // SHORT_BINSTRING
      case 0x42:
        push(bytes.slice(need(u32()), pos));
        break; // BINBYTES
      case 0x43:
        push(bytes.slice(need(u8()), pos));
        break; // SHORT_BINBYTES
      case 0x74:
        push(tuple(popMark()));
        break; // TUPLE
      case 0x85:
        push(tuple([pop()]));
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        push(tuple([pop(), b]));
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        push(tuple([pop(), b, c]));
        break;
      } // TUPLE3
      case 0x61: {
        const v = pop();
        append(top(), [v]);
        break;
      } // APPEND
      case 0x65: {
        const vs = popMark();
        append(top(), vs);
        break;
      } // APPENDS
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const kv = popMark();
        setItems(top(), kv);
        break;
      } // SETITEMS
      case 0x71:
        memoPut(u8());
        break; // BINPUT
      case 0x72:
        memoPut(u32());
        break; // LONG_BINPUT
      case 0x94:
        memoPut(memo.size);
        break; // MEMOIZE
      case 0x70:
        memoPut(Number.parseInt(line(), 10));
        break; // PUT
      case 0x68:
        push(memoGet(memo, u8(), fail));
        break; // BINGET
      case 0x6a:
        push(memoGet(memo, u32(), fail));
        break; // LONG_BINGET
      case 0x67:
        push(memoGet(memo, Number.parseInt(line(), 10), fail));
        break; // GET
      case 0x63: {
        const module = line();
        push(resolveGlobal(module, line()));
        break;
      } // GLOBAL
      case 0x93: {
        const name = pop();
        const module = pop();
        push(resolveGlobal(asString(module), asString(name)));
        break;
      } // STACK_GLOBAL
      case 0x51:
        push(persistentLoad(pop()));
        break; // BINPERSID
      case 0x52: {
        const args = pop();
        push(reduce(pop(), args));
        break;
      } // REDUCE
      case 0x62: {
        // BUILD: only OrderedDict's _metadata, which we drop
        const state = pop();
        if (!(top() instanceof Map) || !(state instanceof Map || state === null)) fail(`BUILD on ${describe(top())}`);
        break;
      }
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        push(top());
        break; // DUP
      default:
        return fail(`unsupported pickle opcode 0x${op.toString(16)} at byte ${pos - 1}`);
    }
  }
}

function finish(root: unknown, fail: (m: string) => never): Map<string, PickledTensor> {
  if (!(root instanceof Map)) return fail(`top-level object is ${describe(root)}, not a dict of tensors`);
  const out = new Map<string, PickledTensor>();
  for (const [k, v] of root) {
    if (typeof k !== 'string' || !(v instanceof RebuiltTensor)) return fail(`entry ${describe(k)} is ${describe(v)}, not a tensor`);
    out.set(k, v);
  }
  return out;
}

function readLong(b: Uint8Array, fail: (m: string) => never): number {
  let v = b.reduceRight((acc, byte) => (acc << 8n) | BigInt(byte), 0n); // little-endian two's complement
  if ((b.at(-1) ?? 0) & 0x80) v -= 1n << BigInt(8 * b.length);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) fail(`integer of ${b.length} bytes out of range`);
  return Number(v);
}

function memoGet(memo: Map<number, unknown>, k: number, fail: (m: string) => never): unknown {
  return memo.has(k) ? memo.get(k) : fail(`memo key ${k} was never stored`);
}
// Tuples are frozen arrays: immutable as in Python, and told apart from lists in messages.
function tuple(items: unknown[]): unknown[] {
  return Object.freeze(items) as unknown[];
}
function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}
function isCountList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every(isCount);
}
function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}... (${s.length} chars)` : s;
}

/**
 * What a pickled value is, for error messages: its type and size, and the value itself only when it is a
 * number or a short string. Never a serialisation: pickles can build shared or cyclic structures whose
 * expansion is exponential (a "billion laughs") or infinite.
 */
function describe(v: unknown): string {
  if (v instanceof Global) return `${clip(v.module)}.${clip(v.name)}`;
  if (v instanceof StorageType) return `a ${v.dtype} storage type`;
  if (v instanceof Storage) return `storage ${clip(v.key)}`;
  if (v instanceof RebuiltTensor) return 'a tensor';
  if (v instanceof Map) return `a dict of ${v.size} entries`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (Array.isArray(v)) return `a ${Object.isFrozen(v) ? 'tuple' : 'list'} of ${v.length} items`;
  if (typeof v === 'string') return JSON.stringify(clip(v));
  return String(v);
}
