// A restricted unpickler for PyTorch state dicts. Python's pickle can call any importable function; this
// one knows only the few globals torch.save writes for a dict of tensors and refuses every other global,
// so loading a checkpoint can never run code. Opcodes: https://github.com/python/cpython/blob/main/Lib/pickletools.py
import { type StoredDType } from './entries.js';
import { CheckpointFormatError, UnsafePickleError } from '../errors.js';

/** A storage named by torch's persistent id ('storage', <dtype>Storage, key, location, numel). */
export interface PickledStorage { readonly key: string; readonly dtype: StoredDType; readonly numel: number }

/** A tensor as _rebuild_tensor_v2 describes it: a strided window (in elements) on a storage. */
export interface PickledTensor {
  readonly storage: PickledStorage;
  readonly storageOffset: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
}

// torch.<Name>Storage -> element type of its bytes.
const STORAGE_TYPES: Readonly<Record<string, StoredDType>> = {
  FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', DoubleStorage: 'F64', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};

class Global { constructor(readonly module: string, readonly name: string) {} }
class StorageType { constructor(readonly dtype: StoredDType) {} }
const MARK = Symbol('mark');

/** Unpickles a torch.save'd dict of tensors (data.pkl) into name -> tensor. `file` names the checkpoint in errors. */
export function unpickleStateDict(bytes: Uint8Array, file: string): Map<string, PickledTensor> {
  const fail = (msg: string): never => { throw new CheckpointFormatError(file, `data.pkl: ${msg}`); };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder();
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const storages = new Map<string, PickledStorage>();
  let pos = 0;

  const need = (n: number): number => {
    if (pos + n > bytes.length) fail(`truncated at byte ${pos}`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = (): number => bytes[need(1)];
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
  const pop = (): unknown => (stack.length ? stack.pop() : fail('stack underflow'));
  const popMark = (): unknown[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail('no MARK on the stack');
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const top = (): unknown => (stack.length ? stack[stack.length - 1] : fail('stack underflow'));
  const setItems = (target: unknown, kv: unknown[]): void => {
    if (!(target instanceof Map)) fail('SETITEM on something that is not a dict');
    for (let i = 0; i + 1 < kv.length; i += 2) (target as Map<unknown, unknown>).set(kv[i], kv[i + 1]);
  };
  const resolveGlobal = (module: string, name: string): Global | StorageType => {
    if (module === 'torch' && Object.hasOwn(STORAGE_TYPES, name)) return new StorageType(STORAGE_TYPES[name]);
    const allowed = ['collections.OrderedDict', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter'];
    if (!allowed.includes(`${module}.${name}`)) {
      throw new UnsafePickleError(file, `data.pkl refers to ${module}.${name}, which is not a tensor-rebuild global; ` +
        'refusing to load it (a checkpoint must never run code)');
    }
    return new Global(module, name);
  };
  const persistentLoad = (pid: unknown): PickledStorage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length !== 5 || !(pid[1] instanceof StorageType) ||
        typeof pid[2] !== 'string' || typeof pid[4] !== 'number') {
      return fail(`unsupported persistent id ${describe(pid)}`);
    }
    const storage: PickledStorage = { key: pid[2], dtype: pid[1].dtype, numel: pid[4] };
    const seen = storages.get(storage.key);
    if (seen && seen.dtype !== storage.dtype) fail(`storage ${storage.key} is used as both ${seen.dtype} and ${storage.dtype}`);
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
      default: { // torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata])
        const [storage, storageOffset, shape, stride] = args;
        if (!isStorage(storage) || typeof storageOffset !== 'number' || !isIntList(shape) || !isIntList(stride) || shape.length !== stride.length) {
          return fail(`malformed _rebuild_tensor_v2 arguments ${describe(args)}`);
        }
        return { storage, storageOffset, shape, stride } satisfies PickledTensor;
      }
    }
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break;                                     // PROTO
      case 0x95: need(8); break;                                  // FRAME
      case 0x2e: return finish(pop(), fail);                      // STOP
      case 0x28: stack.push(MARK); break;                         // MARK
      case 0x29: stack.push([]); break;                           // EMPTY_TUPLE
      case 0x5d: stack.push([]); break;                           // EMPTY_LIST
      case 0x7d: stack.push(new Map()); break;                    // EMPTY_DICT
      case 0x4e: stack.push(null); break;                         // NONE
      case 0x88: stack.push(true); break;                         // NEWTRUE
      case 0x89: stack.push(false); break;                        // NEWFALSE
      case 0x4a: stack.push(view.getInt32(need(4), true)); break; // BININT
      case 0x4b: stack.push(u8()); break;                         // BININT1
      case 0x4d: stack.push(u16()); break;                        // BININT2
      case 0x8a: stack.push(readLong(bytes.subarray(need(u8()), pos), fail)); break; // LONG1
      case 0x49: { const s = line(); stack.push(s === '01' ? true : s === '00' ? false : Number.parseInt(s, 10)); break; } // INT
      case 0x4c: stack.push(Number.parseInt(line(), 10)); break;  // LONG (text)
      case 0x47: stack.push(view.getFloat64(need(8), false)); break; // BINFLOAT
      case 0x58: stack.push(str(u32())); break;                   // BINUNICODE
      case 0x8c: stack.push(str(u8())); break;                    // SHORT_BINUNICODE
      case 0x54: stack.push(str(u32())); break;                   // BINSTRING
      case 0x55: stack.push(str(u8())); break;                    // SHORT_BINSTRING
      case 0x42: stack.push(bytes.slice(need(u32()), pos)); break; // BINBYTES
      case 0x43: stack.push(bytes.slice(need(u8()), pos)); break;  // SHORT_BINBYTES
      case 0x74: stack.push(popMark()); break;                    // TUPLE
      case 0x85: stack.push([pop()]); break;                      // TUPLE1
      case 0x86: { const b = pop(); stack.push([pop(), b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); stack.push([pop(), b, c]); break; } // TUPLE3
      case 0x61: { const v = pop(); asList(top(), fail).push(v); break; }                // APPEND
      case 0x65: { const vs = popMark(); asList(top(), fail).push(...vs); break; }       // APPENDS
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; }   // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; }                   // SETITEMS
      case 0x71: memo.set(u8(), top()); break;                    // BINPUT
      case 0x72: memo.set(u32(), top()); break;                   // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break;               // MEMOIZE
      case 0x70: memo.set(Number.parseInt(line(), 10), top()); break; // PUT
      case 0x68: stack.push(memoGet(memo, u8(), fail)); break;    // BINGET
      case 0x6a: stack.push(memoGet(memo, u32(), fail)); break;   // LONG_BINGET
      case 0x67: stack.push(memoGet(memo, Number.parseInt(line(), 10), fail)); break; // GET
      case 0x63: { const module = line(); stack.push(resolveGlobal(module, line())); break; } // GLOBAL
      case 0x93: { const name = pop(); const module = pop(); stack.push(resolveGlobal(String(module), String(name))); break; } // STACK_GLOBAL
      case 0x51: stack.push(persistentLoad(pop())); break;        // BINPERSID
      case 0x52: { const args = pop(); stack.push(reduce(pop(), args)); break; } // REDUCE
      case 0x62: {                                                // BUILD: only OrderedDict's _metadata, which we drop
        const state = pop();
        if (!(top() instanceof Map) || !(state instanceof Map || state === null)) fail(`BUILD on ${describe(top())}`);
        break;
      }
      case 0x30: pop(); break;                                    // POP
      case 0x31: popMark(); break;                                // POP_MARK
      case 0x32: stack.push(top()); break;                        // DUP
      default:
        return fail(`unsupported pickle opcode 0x${op.toString(16)} at byte ${pos - 1}`);
    }
  }
}

function finish(root: unknown, fail: (m: string) => never): Map<string, PickledTensor> {
  if (!(root instanceof Map)) return fail(`top-level object is ${describe(root)}, not a dict of tensors`);
  const out = new Map<string, PickledTensor>();
  for (const [k, v] of root) {
    if (typeof k !== 'string' || !isTensor(v)) return fail(`entry ${describe(k)} is ${describe(v)}, not a tensor`);
    out.set(k, v);
  }
  return out;
}

function readLong(b: Uint8Array, fail: (m: string) => never): number {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) fail(`integer ${v} out of range`);
  return Number(v);
}

function memoGet(memo: Map<number, unknown>, k: number, fail: (m: string) => never): unknown {
  return memo.has(k) ? memo.get(k) : fail(`memo key ${k} was never stored`);
}
function asList(v: unknown, fail: (m: string) => never): unknown[] {
  return Array.isArray(v) ? v : fail('APPEND to something that is not a list');
}
function isIntList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0);
}
function isStorage(v: unknown): v is PickledStorage {
  return typeof v === 'object' && v !== null && 'key' in v && 'numel' in v && 'dtype' in v;
}
function isTensor(v: unknown): v is PickledTensor {
  return typeof v === 'object' && v !== null && 'storage' in v && 'stride' in v;
}
function describe(v: unknown): string {
  if (v instanceof Global) return `${v.module}.${v.name}`;
  if (v instanceof Map) return 'a dict';
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  try { return JSON.stringify(v)?.slice(0, 80) ?? String(v); } catch { return typeof v; }
}
