import { closeSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { dropWrittenFile } from './drop-cache.js';
import { STORED_DTYPE_SIZE, elementCount } from './entries.js';
import { type TensorSource, chunksOf } from './tensor-source.js';

/**
 * Writes a safetensors file, streaming each tensor's chunks straight to disk in the given order.
 * The JSON header is padded with spaces to a multiple of 8 bytes, so data starts 8-byte aligned.
 * The bytes go to `<path>.partial` (same directory), renamed to `path` once complete: an interrupted write never
 * leaves a truncated file under the real name, and the next write truncates a stale `.partial`.
 * The file is then written back and dropped from the page cache (dropWrittenFile): cached by the write
 * in 4 KiB pages, it would be mapped that way by the next load, and decode would read it several
 * times slower than after reading it back.
 */
export function writeSafetensors(path: string, tensors: readonly TensorSource[], metadata: Record<string, string> = { format: 'pt' }): void {
  const steps = writeSteps(path, tensors, metadata);
  while (!steps.next().done);
}

/**
 * `writeSafetensors` that returns to the event loop after each chunk, so signal handlers (Ctrl-C) and timers run
 * while a multi-gigabyte file is written.
 */
export async function writeSafetensorsAsync(
  path: string,
  tensors: readonly TensorSource[],
  metadata: Record<string, string> = { format: 'pt' },
): Promise<void> {
  const steps = writeSteps(path, tensors, metadata);
  while (!steps.next().done) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** The write, one step per chunk; the temporary file is removed if a step throws or the steps are abandoned. */
function* writeSteps(path: string, tensors: readonly TensorSource[], metadata: Record<string, string>): Generator<void, void> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const size = elementCount(t.shape) * STORED_DTYPE_SIZE[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((Buffer.byteLength(json) + 8) % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const partial = `${path}.partial`;
  const fd = openSync(partial, 'w');
  let complete = false;
  try {
    writeAll(fd, prefix);
    writeAll(fd, Buffer.from(json));
    for (const t of tensors) {
      const expected = elementCount(t.shape) * STORED_DTYPE_SIZE[t.dtype];
      let written = 0;
      for (const chunk of chunksOf(t)) {
        written += writeAll(fd, chunk);
        yield;
      }
      if (written !== expected) throw new Error(`tensor "${t.name}" produced ${written} bytes, its shape needs ${expected}`);
    }
    complete = true;
  } finally {
    closeSync(fd);
    if (!complete) rmSync(partial, { force: true });
  }
  renameSync(partial, path);
  dropWrittenFile(path);
}

export function writeAll(fd: number, bytes: Uint8Array): number {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
  return bytes.length;
}

/**
 * Writes tensors as HF-style shards model-0000i-of-0000n.safetensors of at most `maxShardBytes` each (a
 * larger single tensor gets its own shard) plus model.safetensors.index.json. Returns the shard names.
 */
export function writeShardedSafetensors(dir: string, tensors: readonly TensorSource[], maxShardBytes = 2e9): string[] {
  const groups: TensorSource[][] = [];
  let group: TensorSource[] | undefined;
  let size = 0;
  for (const t of tensors) {
    const bytes = elementCount(t.shape) * STORED_DTYPE_SIZE[t.dtype];
    if (!group || size + bytes > maxShardBytes) {
      group = [];
      groups.push(group);
      size = 0;
    }
    group.push(t);
    size += bytes;
  }
  const pad = (i: number) => String(i).padStart(5, '0');
  const shards = groups.map((members, i) => ({ members, name: `model-${pad(i + 1)}-of-${pad(groups.length)}.safetensors` }));
  const weightMap: Record<string, string> = {};
  let total = 0;
  for (const { members, name } of shards) {
    writeSafetensors(join(dir, name), members);
    for (const t of members) {
      weightMap[t.name] = name;
      total += elementCount(t.shape) * STORED_DTYPE_SIZE[t.dtype];
    }
  }
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
  return shards.map((s) => s.name);
}
