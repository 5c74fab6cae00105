// safetensors: [u64 little-endian header length N][N bytes of JSON header][tensor data].
// The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]}, offsets relative to the
// first data byte; "__metadata__" holds string -> string. Spec: https://github.com/huggingface/safetensors
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CheckpointFile } from './file.js';
import { type Checkpoint, type StoredDType, type TensorEntry, STORED_DTYPE_SIZE, elementCount, isStoredDType } from './entries.js';
import { CheckpointFormatError } from '../errors.js';

const MAX_HEADER = 100 * 1024 * 1024; // the reference implementation's own limit

/** Lists the tensors of one safetensors file (reads only the header). */
export function readSafetensorsEntries(file: CheckpointFile): TensorEntry[] {
  const fail = (msg: string, tensor?: string): never => { throw new CheckpointFormatError(file.name, msg, tensor); };
  if (file.size < 8) fail(`file is ${file.size} bytes, too short for a safetensors header`);
  const n = Number(new DataView(file.read(0, 8).buffer).getBigUint64(0, true));
  if (n > file.size - 8) fail(`header length ${n} runs past the end of the file (${file.size} bytes)`);
  if (n > MAX_HEADER) fail(`header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file.read(8, n)));
  } catch (e) {
    return fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail('header is not a JSON object');

  const dataStart = 8 + n;
  const dataSize = file.size - dataStart;
  const entries: TensorEntry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    if (typeof info !== 'object' || info === null) fail('entry is not an object', name);
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (!isStoredDType(dtype)) fail(`unknown dtype ${JSON.stringify(dtype)}`, name);
    if (!isIntArray(shape)) fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`, name);
    if (!isIntArray(offsets) || offsets.length !== 2 || offsets[0] > offsets[1]) {
      fail(`data_offsets ${JSON.stringify(offsets)} is not [begin, end] with begin <= end`, name);
    }
    const [begin, end] = offsets as number[];
    if (end > dataSize) fail(`data_offsets [${begin}, ${end}] run past the end of the data (${dataSize} bytes; file truncated?)`, name);
    const expected = elementCount(shape as number[]) * STORED_DTYPE_SIZE[dtype as StoredDType];
    if (end - begin !== expected) {
      fail(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape [${shape}] of ${dtype} needs ${expected}`, name);
    }
    entries.push({ name, dtype: dtype as StoredDType, shape: shape as number[], file, offset: dataStart + begin, byteLength: end - begin });
  }
  const sorted = [...entries].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (sorted[i].offset < prev.offset + prev.byteLength) fail(`data overlaps that of "${prev.name}"`, sorted[i].name);
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
  const indexName = 'model.safetensors.index.json';
  let weightMap: Record<string, unknown>;
  try {
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map?: unknown };
    if (typeof index.weight_map !== 'object' || index.weight_map === null) throw new Error('no "weight_map" object');
    weightMap = index.weight_map as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointFormatError(indexName, `is not a valid shard index (${(e as Error).message})`);
  }
  const shards = [...new Set(Object.values(weightMap))];
  for (const s of shards) {
    if (typeof s !== 'string' || s.includes('/') || s.includes('\\')) {
      throw new CheckpointFormatError(indexName, `shard name ${JSON.stringify(s)} is not a file name in the same directory`);
    }
  }
  const checkpoint = openShards((shards as string[]).map((s) => join(dirname(indexPath), s)));
  for (const [name, shard] of Object.entries(weightMap)) {
    const entry = checkpoint.tensors.get(name);
    if (!entry || entry.file.name !== shard) {
      checkpoint.close();
      throw new CheckpointFormatError(indexName, `lists tensor in ${shard} but that shard does not hold it`, name);
    }
  }
  for (const [name, entry] of checkpoint.tensors) {
    if (!Object.hasOwn(weightMap, name)) {
      checkpoint.close();
      throw new CheckpointFormatError(entry.file.name, 'holds a tensor the shard index does not list', name);
    }
  }
  return checkpoint;
}

function openShards(paths: string[]): Checkpoint {
  const files: CheckpointFile[] = [];
  const tensors = new Map<string, TensorEntry>();
  const close = (): void => { for (const f of files) f.close(); };
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
