// A reader for the zip archives torch.save writes: the central directory is read in one piece and parsed in
// memory (linear in its size; zip64 records included), and a local header is read only for the entries a
// caller asks for. Entries are addressed in place, never inflated.
// Format: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT (4.3.12 central header, 4.3.14-16 zip64).
import type { CheckpointFile } from './file.js';
import { CheckpointFormatError } from '../errors.js';

/** At most this many entries. torch.save writes one per storage plus 3-4: GPT-J 6B has 345; a shard of a
 * far larger model a few thousand. */
export const MAX_ZIP_ENTRIES = 100_000;
// The central directory of MAX_ZIP_ENTRIES entries with 600-byte names (torch's are ~20 bytes).
const MAX_DIRECTORY_BYTES = 64 << 20;
const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;

export interface ZipEntry {
  readonly name: string;
  readonly size: number; // bytes stored (compressed size)
  readonly compressed: boolean; // method other than 0 (stored)
  readonly headerOffset: number; // of its local header
}

/** The entries of the archive by name (a duplicated name is an error: which copy a reader takes is ambiguous). */
export function readZipDirectory(file: CheckpointFile): Map<string, ZipEntry> {
  const fail = (msg: string): never => {
    throw new CheckpointFormatError(file.name, `zip archive: ${msg}`);
  };
  const { count, offset, size } = findDirectory(file, fail);
  if (count > MAX_ZIP_ENTRIES) fail(`${count} entries exceeds the limit of ${MAX_ZIP_ENTRIES}`);
  if (size > MAX_DIRECTORY_BYTES) fail(`central directory of ${size} bytes exceeds the limit of ${MAX_DIRECTORY_BYTES}`);
  if (offset + size > file.size) fail(`central directory (${size} bytes at ${offset}) runs past the end of the file (truncated?)`);
  const dir = file.read(offset, size);
  const view = new DataView(dir.buffer, dir.byteOffset, dir.byteLength);
  const names = new TextDecoder();
  const entries = new Map<string, ZipEntry>();
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > size || view.getUint32(at, true) !== CENTRAL) fail(`central directory entry ${i} is malformed`);
    const method = view.getUint16(at + 10, true);
    let compressedSize = view.getUint32(at + 20, true);
    let uncompressedSize = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let headerOffset = view.getUint32(at + 42, true);
    const end = at + 46 + nameLength + extraLength + commentLength;
    if (end > size) fail(`central directory entry ${i} runs past the directory`);
    const name = names.decode(dir.subarray(at + 46, at + 46 + nameLength));
    // zip64 extended information (4.5.3): the 64-bit values of exactly the fields saturated at 0xffffffff, in order.
    if ([uncompressedSize, compressedSize, headerOffset].includes(U32_MAX)) {
      const lacking = () => fail(`entry ${JSON.stringify(name)} lacks its zip64 sizes`);
      const fields = (zip64Fields(view, at + 46 + nameLength, extraLength) ?? lacking()).values();
      const next = (): number => fields.next().value ?? lacking();
      if (uncompressedSize === U32_MAX) uncompressedSize = next();
      if (compressedSize === U32_MAX) compressedSize = next();
      if (headerOffset === U32_MAX) headerOffset = next();
    }
    if (entries.has(name)) fail(`entry ${JSON.stringify(name)} appears twice`);
    entries.set(name, { name, size: compressedSize, compressed: method !== 0, headerOffset });
    at = end;
  }
  return entries;
}

/** Where the bytes of `e` start in the file (after its local header), checked to lie inside the file. */
export function entryDataStart(file: CheckpointFile, e: ZipEntry): number {
  const fail = (msg: string): never => {
    throw new CheckpointFormatError(file.name, `zip entry ${JSON.stringify(e.name)}: ${msg}`);
  };
  if (e.headerOffset + 30 > file.size) fail('local header lies past the end of the file (truncated?)');
  const header = file.read(e.headerOffset, 30);
  const view = new DataView(header.buffer, header.byteOffset, 30);
  if (view.getUint32(0, true) !== LOCAL) fail(`no local header at ${e.headerOffset}`);
  const start = e.headerOffset + 30 + view.getUint16(26, true) + view.getUint16(28, true);
  if (start + e.size > file.size) fail(`its ${e.size} bytes at ${start} run past the end of the file (truncated?)`);
  return start;
}

/** The end-of-central-directory record (zip64 when present): entry count, directory offset and size. */
function findDirectory(file: CheckpointFile, fail: (msg: string) => never): { count: number; offset: number; size: number } {
  // The record is 22 bytes plus a comment of up to 65535, at the very end of the file.
  const tailLength = Math.min(file.size, 22 + 0xffff);
  const tailStart = file.size - tailLength;
  const tail = file.read(tailStart, tailLength);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let at = tailLength - 22;
  while (at >= 0 && !(view.getUint32(at, true) === EOCD && at + 22 + view.getUint16(at + 20, true) === tailLength)) at--;
  if (at < 0) return fail('no end-of-central-directory record (not a zip archive, or truncated)');
  let count = view.getUint16(at + 10, true);
  let size = view.getUint32(at + 12, true);
  let offset = view.getUint32(at + 16, true);
  if (at >= 20 && view.getUint32(at - 20, true) === ZIP64_LOCATOR) {
    const recordOffset = u64(view, at - 12, fail);
    if (recordOffset + 56 > tailStart + at - 20) fail('zip64 end-of-central-directory record lies outside the file');
    const record = file.read(recordOffset, 56);
    const r = new DataView(record.buffer, record.byteOffset, 56);
    if (r.getUint32(0, true) !== ZIP64_EOCD) fail(`no zip64 end-of-central-directory record at ${recordOffset}`);
    count = u64(r, 32, fail);
    size = u64(r, 40, fail);
    offset = u64(r, 48, fail);
  }
  return { count, offset, size };
}

function zip64Fields(view: DataView, start: number, length: number): number[] | undefined {
  for (let at = start; at + 4 <= start + length; ) {
    const id = view.getUint16(at, true);
    const n = view.getUint16(at + 2, true);
    if (at + 4 + n > start + length) return undefined;
    if (id === 0x0001) {
      const out: number[] = [];
      for (let k = 0; k + 8 <= n; k += 8) {
        const v = view.getBigUint64(at + 4 + k, true);
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
        out.push(Number(v));
      }
      return out;
    }
    at += 4 + n;
  }
  return undefined;
}

function u64(view: DataView, at: number, fail: (msg: string) => never): number {
  const v = view.getBigUint64(at, true);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? fail(`64-bit field ${v} is out of range`) : Number(v);
}
