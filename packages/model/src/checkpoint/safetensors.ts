// safetensors: [u64 little-endian header length N][N bytes of JSON header][tensor data].
// The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]}, offsets relative to the
// first data byte; "__metadata__" holds string -> string. Spec: https://github.com/huggingface/safetensors
import { CheckpointFile } from './file.js';
import { type Checkpoint, type StoredDType, type TensorEntry, STORED_DTYPE_SIZE, elementCount, isStoredDType } from './entries.js';
import { describeJson } from './describe-json.js';
import { CheckpointFormatError } from '../errors.js';
import { checkIndexAgainstShards, readShardIndex } from './shard-index.js';

const MAX_HEADER = 100 * 1024 * 1024; // the reference implementation's own limit

/** Lists the tensors of one safetensors file (reads only the header). */
export function readSafetensorsEntries(file: CheckpointFile): TensorEntry[] {
  const fail = (msg: string, tensor?: string): never => {
    throw new CheckpointFormatError(file.name, msg, tensor);
  };
  if (file.size < 8) fail(`file is ${file.size} bytes, too short for a safetensors header`);
  const n = Number(new DataView(file.read(0, 8).buffer).getBigUint64(0, true));
  if (n > file.size - 8) fail(`header length ${n} runs past the end of the file (${file.size} bytes)`);
  if (n > MAX_HEADER) fail(`header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  const headerBytes = file.read(8, n); // outside the try: a read error is not bad JSON
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    return fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail('header is not a JSON object');

  const dataStart = 8 + n;
  const dataSize = file.size - dataStart;
  const entries: TensorEntry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    if (typeof info !== 'object' || info === null) return fail('entry is not an object', name);
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (!isStoredDType(dtype)) return fail(`unknown dtype ${describeJson(dtype)}`, name);
    if (!isIntArray(shape)) return fail(`shape ${describeJson(shape)} is not a list of non-negative integers`, name);
    const [begin, end, ...rest] = isIntArray(offsets) ? offsets : [];
    if (begin === undefined || end === undefined || rest.length || begin > end) {
      return fail(`data_offsets ${describeJson(offsets)} is not [begin, end] with begin <= end`, name);
    }
    if (end > dataSize) fail(`data_offsets [${begin}, ${end}] run past the end of the data (${dataSize} bytes; file truncated?)`, name);
    const expected = elementCount(shape) * STORED_DTYPE_SIZE[dtype];
    if (end - begin !== expected) {
      fail(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape [${shape}] of ${dtype} needs ${expected}`, name);
    }
    entries.push({ name, dtype, shape, file, offset: dataStart + begin, byteLength: end - begin });
  }
  const sorted = [...entries].sort((a, b) => a.offset - b.offset);
  for (const [i, e] of sorted.entries()) {
    const prev = sorted[i - 1];
    if (prev && e.offset < prev.offset + prev.byteLength) fail(`data overlaps that of "${prev.name}"`, e.name);
  }
  return entries;
}

function isIntArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0);
}

/** Opens a single safetensors file. */
export function openSafetensors(path: string): Checkpoint {
  return openShards([path]);
}

/**
 * Opens a sharded checkpoint from its model.safetensors.index.json ({"weight_map": {name: shard file}}):
 * every listed tensor must be in the shard the index names, and every shard tensor must be listed.
 */
export function openSafetensorsIndex(indexPath: string): Checkpoint {
  const index = readShardIndex(indexPath);
  const checkpoint = openShards(index.shardPaths);
  try {
    checkIndexAgainstShards(indexPath, index, checkpoint.tensors);
  } catch (e) {
    checkpoint.close();
    throw e;
  }
  return checkpoint;
}

function openShards(paths: readonly string[]): Checkpoint {
  const files: CheckpointFile[] = [];
  const tensors = new Map<string, TensorEntry>();
  const close = (): void => {
    for (const f of files) f.close();
  };
  try {
    for (const path of paths) {
      const file = new CheckpointFile(path);
      files.push(file);
      for (const entry of readSafetensorsEntries(file)) {
        const dup = tensors.get(entry.name);
        if (dup) throw new CheckpointFormatError(file.name, `tensor also stored in ${dup.file.name}`, entry.name);
        tensors.set(entry.name, entry);
      }
    }
  } catch (e) {
    close();
    throw e;
  }
  return { format: 'safetensors', tensors, close };
}
