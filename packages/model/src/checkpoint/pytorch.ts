// PyTorch's zip checkpoint (torch.save since 1.6): <prefix>/data.pkl (the pickled state dict),
// <prefix>/data/<key> (one stored, uncompressed entry per storage), <prefix>/byteorder, <prefix>/version.
// yauzl reads the zip directory (zip64 included); tensor bytes are addressed in place, never inflated.
import yauzl from 'yauzl';
import { CheckpointFile } from './file.js';
import { type Checkpoint, type TensorEntry, STORED_DTYPE_SIZE, elementCount } from './entries.js';
import { type PickledTensor, unpickleStateDict } from './pickle.js';
import { CheckpointFormatError } from '../errors.js';

interface StoredEntry { readonly dataStart: number; readonly size: number; readonly compressed: boolean }

/** Opens a pytorch_model.bin: lists its tensors without reading their data. */
export async function openPytorchBin(path: string): Promise<Checkpoint> {
  const file = new CheckpointFile(path);
  try {
    const tensors = await readTensors(file);
    return { format: 'pytorch', tensors, close: () => file.close() };
  } catch (e) {
    file.close();
    throw e;
  }
}

async function readTensors(file: CheckpointFile): Promise<Map<string, TensorEntry>> {
  const fail = (msg: string, tensor?: string): never => { throw new CheckpointFormatError(file.name, msg, tensor); };
  if (file.size < 4 || file.read(0, 4).some((b, i) => b !== [0x50, 0x4b, 0x03, 0x04][i])) {
    fail('not a zip archive; legacy (pre-1.6, non-zip) torch.save files are not supported, re-save with a current torch');
  }
  const entries = await listZip(file);
  const pklName = [...entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n)) ?? fail('no <archive>/data.pkl entry');
  const prefix = pklName.slice(0, -'data.pkl'.length);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder && new TextDecoder().decode(readEntry(file, byteorder)).trim() !== 'little') fail('byteorder is not "little"');
  const pickled = unpickleStateDict(readEntry(file, entries.get(pklName)!), file.name);

  const tensors = new Map<string, TensorEntry>();
  for (const [name, t] of pickled) {
    const stored = entries.get(`${prefix}data/${t.storage.key}`) ?? fail(`storage ${t.storage.key} has no zip entry`, name);
    if (stored.compressed) fail(`storage ${t.storage.key} is compressed; torch.save stores tensor data uncompressed`, name);
    const item = STORED_DTYPE_SIZE[t.storage.dtype];
    if (stored.size !== t.storage.numel * item) fail(`storage ${t.storage.key} holds ${stored.size} bytes, expected ${t.storage.numel} x ${item}`, name);
    if (!isContiguous(t)) fail(`shape [${t.shape}] with strides [${t.stride}] is not contiguous; save tensors .contiguous()`, name);
    const numel = elementCount(t.shape);
    if (t.storageOffset + numel > t.storage.numel) fail(`elements ${t.storageOffset}..${t.storageOffset + numel} lie outside storage ${t.storage.key} (${t.storage.numel})`, name);
    tensors.set(name, {
      name, dtype: t.storage.dtype, shape: t.shape, file,
      offset: stored.dataStart + t.storageOffset * item, byteLength: numel * item,
    });
  }
  return tensors;
}

// Row-major strides; a dimension of size 1 may carry any stride.
function isContiguous(t: PickledTensor): boolean {
  let expected = 1;
  for (let d = t.shape.length - 1; d >= 0; d--) {
    if (t.shape[d] !== 1 && t.stride[d] !== expected) return false;
    expected *= t.shape[d];
  }
  return true;
}

function readEntry(file: CheckpointFile, e: StoredEntry): Uint8Array {
  if (e.compressed) throw new CheckpointFormatError(file.name, 'metadata entry is compressed; torch.save stores every entry uncompressed');
  return file.read(e.dataStart, e.size);
}

async function listZip(file: CheckpointFile): Promise<Map<string, StoredEntry>> {
  const out = new Map<string, StoredEntry>();
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file.path, { lazyEntries: true, autoClose: false, decodeStrings: true });
  } catch (e) {
    throw new CheckpointFormatError(file.name, `unreadable zip archive (${(e as Error).message})`);
  }
  try {
    for await (const entry of zip.eachEntry()) {
      const { fileDataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true });
      if (fileDataStart + entry.compressedSize > file.size) {
        throw new CheckpointFormatError(file.name, `zip entry ${entry.fileName} runs past the end of the file (truncated?)`);
      }
      out.set(entry.fileName, { dataStart: fileDataStart, size: entry.compressedSize, compressed: entry.compressionMethod !== 0 });
    }
  } catch (e) {
    if (e instanceof CheckpointFormatError) throw e;
    throw new CheckpointFormatError(file.name, `unreadable zip archive (${(e as Error).message})`);
  } finally {
    zip.close();
  }
  return out;
}
