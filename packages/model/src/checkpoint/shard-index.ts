// The shard index of a sharded checkpoint, in both formats transformers writes (model.safetensors.index.json,
// pytorch_model.bin.index.json): {"metadata": {...}, "weight_map": {tensor name: shard file name}}.
import { basename, dirname, join } from 'node:path';
import type { TensorEntry } from './entries.js';
import { describeJson } from './describe-json.js';
import { CheckpointFormatError } from '../errors.js';
import { readRegularText } from './regular-file.js';

// GPT-J 6B's index is about 25 KB; an index this large would list millions of tensors.
const MAX_INDEX_BYTES = 64 << 20;

export interface ShardIndex {
  readonly weightMap: ReadonlyMap<string, string>; // tensor -> shard file name
  readonly shardPaths: readonly string[]; // each shard once, in order of first mention
}

/** Reads and checks an index: every shard must be a plain file name in the index's directory. */
export function readShardIndex(indexPath: string): ShardIndex {
  const indexName = basename(indexPath);
  const fail = (msg: string): never => {
    throw new CheckpointFormatError(indexName, msg);
  };
  const text = readRegularText(indexPath, MAX_INDEX_BYTES, (reason) => new CheckpointFormatError(indexPath, reason));
  let index: unknown;
  try {
    index = JSON.parse(text);
  } catch (e) {
    return fail(`is not a valid shard index (not JSON: ${(e as Error).message})`);
  }
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return fail('is not a valid shard index (no "weight_map" object)');
  const weightMap = new Map<string, string>();
  const shards = new Set<string>();
  for (const [tensor, shard] of Object.entries(map)) {
    if (!isPlainFileName(shard)) {
      fail(
        `shard name ${describeJson(shard)} of tensor ${describeJson(tensor)} is not a file name in the same directory (no separator or NUL, not empty, "." or "..")`,
      );
    }
    weightMap.set(tensor, shard as string);
    shards.add(shard as string);
  }
  return { weightMap, shardPaths: [...shards].map((s) => join(dirname(indexPath), s)) };
}

// Not empty, not "." or "..", no path separator, no NUL: a name that can only mean a file next to the index.
function isPlainFileName(s: unknown): s is string {
  return typeof s === 'string' && s !== '' && s !== '.' && s !== '..' && !/[/\\\0]/.test(s);
}

/** Every tensor the index lists must be in the shard it names, and every shard tensor must be listed. */
export function checkIndexAgainstShards(indexPath: string, index: ShardIndex, tensors: ReadonlyMap<string, TensorEntry>): void {
  for (const [name, shard] of index.weightMap) {
    const entry = tensors.get(name);
    if (!entry || entry.file.name !== shard)
      throw new CheckpointFormatError(basename(indexPath), `lists tensor in ${shard} but that shard does not hold it`, name);
  }
  for (const [name, entry] of tensors) {
    if (!index.weightMap.has(name)) throw new CheckpointFormatError(entry.file.name, 'holds a tensor the shard index does not list', name);
  }
}
