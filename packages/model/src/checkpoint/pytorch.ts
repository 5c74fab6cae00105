// PyTorch's zip checkpoint (torch.save since 1.6): <prefix>/data.pkl (the pickled state dict),
// <prefix>/data/<key> (one stored, uncompressed entry per storage), <prefix>/byteorder, <prefix>/version.
// Tensor bytes are addressed in place in the file (zip-reader.ts), never inflated.
import { CheckpointFile } from './file.js';
import { type Checkpoint, type TensorEntry, STORED_DTYPE_SIZE } from './entries.js';
import { PICKLE_LIMITS, type PickledTensor, unpickleStateDict } from './pickle.js';
import { type ZipEntry, entryDataStart, readZipDirectory } from './zip-reader.js';
import { checkIndexAgainstShards, readShardIndex } from './shard-index.js';
import { CheckpointFormatError } from '../errors.js';

/** Opens a pytorch_model.bin: lists its tensors without reading their data. */
export function openPytorchBin(path: string): Checkpoint {
  const file = new CheckpointFile(path);
  try {
    const tensors = readPytorchTensors(file);
    return { format: 'pytorch', tensors, close: () => file.close() };
  } catch (e) {
    file.close();
    throw e;
  }
}

/** Opens a sharded .bin checkpoint from its pytorch_model.bin.index.json (checked as the safetensors index is). */
export function openPytorchIndex(indexPath: string): Checkpoint {
  const index = readShardIndex(indexPath);
  const parts: Checkpoint[] = [];
  const tensors = new Map<string, TensorEntry>();
  const close = (): void => {
    for (const p of parts) p.close();
  };
  try {
    for (const shard of index.shardPaths) {
      const part = openPytorchBin(shard);
      parts.push(part);
      for (const [name, entry] of part.tensors) {
        const dup = tensors.get(name);
        if (dup) throw new CheckpointFormatError(entry.file.name, `tensor also stored in ${dup.file.name}`, name);
        tensors.set(name, entry);
      }
    }
    checkIndexAgainstShards(indexPath, index, tensors);
  } catch (e) {
    close();
    throw e;
  }
  return { format: 'pytorch', tensors, close };
}

/** The tensors of an opened torch.save archive: reads the zip directory and data.pkl, not the tensor data. */
export function readPytorchTensors(file: CheckpointFile): Map<string, TensorEntry> {
  const fail = (msg: string, tensor?: string): never => {
    throw new CheckpointFormatError(file.name, msg, tensor);
  };
  if (file.size < 4 || file.read(0, 4).some((b, i) => b !== [0x50, 0x4b, 0x03, 0x04][i])) {
    fail('not a zip archive; legacy (pre-1.6, non-zip) torch.save files are not supported, re-save with a current torch');
  }
  const entries = readZipDirectory(file);
  let pkl: ZipEntry | undefined;
  for (const [name, e] of entries) if (/^[^/]+\/data\.pkl$/.test(name)) pkl = e;
  if (!pkl) return fail('no <archive>/data.pkl entry');
  const prefix = pkl.name.slice(0, -'data.pkl'.length);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder && new TextDecoder().decode(readEntry(file, byteorder, 16)).trim() !== 'little') fail('byteorder is not "little"');
  const pickled = unpickleStateDict(readEntry(file, pkl, PICKLE_LIMITS.bytes), file.name);

  const tensors = new Map<string, TensorEntry>();
  const dataStarts = new Map<string, number>(); // storage key -> first byte, each local header read once
  for (const [name, t] of pickled) {
    const stored = entries.get(`${prefix}data/${t.storage.key}`) ?? fail(`storage ${t.storage.key} has no zip entry`, name);
    if (stored.compressed) fail(`storage ${t.storage.key} is compressed; torch.save stores tensor data uncompressed`, name);
    const item = STORED_DTYPE_SIZE[t.storage.dtype];
    if (stored.size !== t.storage.numel * item) fail(`storage ${t.storage.key} holds ${stored.size} bytes, expected ${t.storage.numel} x ${item}`, name);
    if (!isContiguous(t)) fail(`shape [${t.shape}] with strides [${t.stride}] is not contiguous; save tensors .contiguous()`, name);
    // Offsets, sizes and strides are non-negative integers (the unpickler checks); the window must lie inside
    // its storage. Every value compared is at most numel <= the storage's bytes, so the sums stay exact.
    const numel = boundedProduct(t.shape, t.storage.numel);
    if (numel === undefined || t.storageOffset > t.storage.numel - numel) {
      fail(`elements ${t.storageOffset}.. of shape [${t.shape}] lie outside storage ${t.storage.key} (${t.storage.numel} elements)`, name);
    }
    let start = dataStarts.get(t.storage.key);
    if (start === undefined) dataStarts.set(t.storage.key, (start = entryDataStart(file, stored)));
    tensors.set(name, {
      name,
      dtype: t.storage.dtype,
      shape: t.shape,
      file,
      offset: start + t.storageOffset * item,
      byteLength: numel! * item,
    });
  }
  return tensors;
}

/** The product of `dims`, or undefined when it exceeds `max` (checked as it grows, so it never loses precision). */
function boundedProduct(dims: readonly number[], max: number): number | undefined {
  if (dims.includes(0)) return 0;
  let p = 1;
  for (const d of dims) {
    p *= d;
    if (p > max) return undefined;
  }
  return p;
}

// Row-major strides; a dimension of size 1 may carry any stride.
function isContiguous(t: PickledTensor): boolean {
  let expected = 1;
  for (const [d, size] of [...t.shape.entries()].reverse()) {
    if (size !== 1 && t.stride[d] !== expected) return false; // the unpickler checked stride has shape's length
    expected *= size;
  }
  return true;
}

function readEntry(file: CheckpointFile, e: ZipEntry, limit: number): Uint8Array {
  const fail = (msg: string): never => {
    throw new CheckpointFormatError(file.name, `${e.name}: ${msg}`);
  };
  if (e.compressed) fail('metadata entry is compressed; torch.save stores every entry uncompressed');
  if (e.size > limit) fail(`${e.size} bytes exceeds the ${limit}-byte limit`);
  return file.read(entryDataStart(file, e), e.size);
}
