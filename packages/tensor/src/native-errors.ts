// How both backends turn an exception of their native addon into the TensorError subclass that fits,
// naming the op. The TS checks should catch bad arguments first; this is the defensive path (the addons
// check every argument again and throw instead of crashing).
import { DisposedError, IndexError, MappedFileError, NonFiniteError, TensorError } from './errors.js';

/** What the CPU addon attaches to an error that carries data (cast.cpp throw_non_finite, mmap.cpp mapping_check). */
interface NativeErrorFields {
  code?: string;
  row?: number;
  column?: number;
  value?: number;
  path?: string;
  message?: string;
}

/** An addon error that carries a code, as its TensorError subclass; undefined for any other error. */
export function codedError(op: string, e: unknown): TensorError | undefined {
  const f = (e ?? {}) as NativeErrorFields;
  if (f.code === 'GPTJ_NON_FINITE') return new NonFiniteError(op, f.row!, f.column!, f.value!);
  if (f.code === 'GPTJ_MAPPED_FILE_TRUNCATED') return new MappedFileError(f.message!, f.path!);
  return undefined;
}

export function nativeError(op: string, e: unknown): TensorError {
  if (e instanceof TensorError) return e;
  const coded = codedError(op, e);
  if (coded) return coded;
  const msg = e instanceof Error ? e.message : String(e);
  if (/disposed/.test(msg)) return new DisposedError(named(op, msg));
  if (e instanceof RangeError && op === 'embedding') return new IndexError(msg);
  return new TensorError(named(op, msg));
}

/**
 * `msg` naming its op once. The addons start their messages with their own op name: "cast: x was disposed" for
 * op cast, "linear: ..." for linearAsync, "CpuGPTJSession: ..." for CpuGPTJSession.step; those are kept as they are.
 */
function named(op: string, msg: string): string {
  const names = [op, op.replace(/Async$/, ''), op.split('.')[0]];
  return names.some((n) => msg.startsWith(`${n}:`) || msg.startsWith(`${n}.`)) ? msg : `${op}: ${msg}`;
}

/** Runs one call into an addon, re-throwing its exception as a TensorError naming `op`. */
export function callNative<T>(op: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw nativeError(op, e);
  }
}
