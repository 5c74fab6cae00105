// The CPU memory read bandwidth: the floor decode speed is compared with (a decode step reads every
// weight once). See native/cpu/bandwidth.cpp for the methods and why there are several.
import { TensorError } from './errors.js';
import { cpu } from './native.js';
import { callNative } from './native-errors.js';

/** One read loop over one buffer, in bytes per second over its passes. */
export interface ReadMethodResult {
  /** Read loop: scalar-4stream, avx2, avx2-prefetch, avx2-ntload, avx2-4stream, avx512, avx512-prefetch, avx512-prefetchnta, avx512-ntload, avx512-4stream (those this CPU runs). */
  name: string;
  /** Whether its buffer asked for transparent huge pages (MADV_HUGEPAGE; the other asked for none). */
  hugePages: boolean;
  best: number;
  median: number;
}

export interface ReadBandwidthProbe {
  /** Best pass of any method, bytes per second: the floor. */
  best: number;
  /** The method and page kind that read it, e.g. "avx512-ntload, huge pages". */
  method: string;
  /** Median pass of that method. */
  median: number;
  threads: number;
  /** Bytes of each buffer (each thread reads its own contiguous share). */
  bytesPerBuffer: number;
  /** What the kernel granted: bytes of each buffer backed by huge pages (0 where not Linux). */
  buffers: { hugePages: boolean; hugePageBytes: number }[];
  methods: ReadMethodResult[];
}

function checkArgs(op: string, bytes: number, passes: number, passesName: string): void {
  if (!Number.isSafeInteger(bytes) || bytes < 1 << 20 || bytes > 2 ** 36)
    throw new TensorError(`${op}: bytes must be an integer in [1 MiB, 64 GiB], got ${String(bytes)}`);
  if (!Number.isInteger(passes) || passes < 1 || passes > 1000)
    throw new TensorError(`${op}: ${passesName} must be an integer in [1, 1000], got ${String(passes)}`);
}

/**
 * Reads `bytes` of pre-faulted memory (half with huge pages asked for, half without) with every read
 * loop this CPU has, `passes` times each, round-robin, on the kernel threads. Use a buffer far larger
 * than the last-level cache (the default 512 MiB is 2 x 256 MiB). Takes about (passes + 1) x methods
 * x buffers passes, plus ~2 s/GB of first touch on a VM.
 */
export function probeReadBandwidth(bytes = 512 << 20, passes = 5): ReadBandwidthProbe {
  checkArgs('probeReadBandwidth', bytes, passes, 'passes');
  const r = callNative('probeReadBandwidth', () => cpu.readBandwidth(bytes, passes));
  const top = r.methods.reduce((a, b) => (b.best > a.best ? b : a));
  return { best: top.best, method: `${top.name}, ${top.hugePages ? 'huge pages' : 'default pages'}`, median: top.median, ...r };
}

/**
 * Memory read bandwidth of this machine in bytes per second, measured now with the kernel threads: the
 * best pass of probeReadBandwidth(bytes, reps).
 */
export function measureReadBandwidth(bytes = 512 << 20, reps = 3): number {
  checkArgs('measureReadBandwidth', bytes, reps, 'reps');
  return probeReadBandwidth(bytes, reps).best;
}
