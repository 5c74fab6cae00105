// A zip writer for stored (uncompressed) entries, shaped like the archives torch.save writes: each entry's
// data starts on a 64-byte boundary (padding in an extra field, as PyTorch's miniz writer does) so it can be
// used in place from a memory map, and sizes/offsets past 4 GiB switch to zip64 records.
// Format: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT
import { closeSync, openSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { writeAll } from './safetensors-writer.js';

const MAX32 = 0xffffffff;
const ALIGN = 64;

interface Written {
  name: Buffer;
  size: number;
  crc: number;
  headerOffset: number;
}

export class StoredZipWriter {
  private readonly fd: number;
  private offset = 0;
  private readonly entries: Written[] = [];

  /** `forceZip64` writes zip64 records even for small archives (how tests cover the > 4 GiB layout). */
  constructor(
    path: string,
    private readonly forceZip64 = false,
  ) {
    this.fd = openSync(path, 'w');
  }

  /** Appends one entry of exactly `size` bytes, streamed from `chunks`. */
  add(fileName: string, size: number, chunks: Iterable<Uint8Array>): void {
    const name = Buffer.from(fileName, 'utf8');
    const zip64 = this.forceZip64 || size >= MAX32;
    const zip64Extra = zip64 ? extra(0x0001, u64(size), u64(size)) : Buffer.alloc(0);
    const fixed = 30 + name.length + zip64Extra.length + 4; // +4: the padding field's own header
    const pad = (ALIGN - ((this.offset + fixed) % ALIGN)) % ALIGN;
    const header = Buffer.concat([
      le(4, 0x04034b50),
      le(2, zip64 ? 45 : 20),
      le(2, 0),
      le(2, 0),
      le(2, 0),
      le(2, 0x21), // sig, version, flags, stored, time, date
      le(4, 0),
      le(4, zip64 ? MAX32 : size),
      le(4, zip64 ? MAX32 : size), // crc (patched below), sizes
      le(2, name.length),
      le(2, zip64Extra.length + 4 + pad),
      name,
      zip64Extra,
      extra(0x4246, Buffer.alloc(pad)),
    ]);
    const headerOffset = this.offset;
    this.write(header);
    let crc = 0;
    let written = 0;
    for (const chunk of chunks) {
      crc = crc32(chunk, crc);
      written += this.write(chunk);
    }
    if (written !== size) throw new Error(`zip entry ${fileName}: wrote ${written} bytes, announced ${size}`);
    writeSync(this.fd, le(4, crc), 0, 4, headerOffset + 14);
    this.entries.push({ name, size, crc, headerOffset });
  }

  /** Writes the central directory (zip64 when needed) and closes the file. */
  close(): void {
    const cdStart = this.offset;
    for (const e of this.entries) {
      const big = [e.size, e.size, e.headerOffset].map((v) => this.forceZip64 || v >= MAX32);
      const fields = [e.size, e.size, e.headerOffset].filter((_, i) => big[i]).map(u64);
      const zip64Extra = fields.length ? extra(0x0001, ...fields) : Buffer.alloc(0);
      this.write(
        Buffer.concat([
          le(4, 0x02014b50),
          le(2, 45),
          le(2, fields.length ? 45 : 20),
          le(2, 0),
          le(2, 0),
          le(2, 0),
          le(2, 0x21),
          le(4, e.crc),
          le(4, big[1] ? MAX32 : e.size),
          le(4, big[0] ? MAX32 : e.size),
          le(2, e.name.length),
          le(2, zip64Extra.length),
          le(2, 0),
          le(2, 0),
          le(2, 0),
          le(4, 0),
          le(4, big[2] ? MAX32 : e.headerOffset),
          e.name,
          zip64Extra,
        ]),
      );
    }
    const cdSize = this.offset - cdStart;
    const n = this.entries.length;
    if (this.forceZip64 || cdStart >= MAX32 || cdSize >= MAX32 || n >= 0xffff) {
      const zip64End = this.offset;
      this.write(Buffer.concat([le(4, 0x06064b50), u64(44), le(2, 45), le(2, 45), le(4, 0), le(4, 0), u64(n), u64(n), u64(cdSize), u64(cdStart)]));
      this.write(Buffer.concat([le(4, 0x07064b50), le(4, 0), u64(zip64End), le(4, 1)]));
    }
    this.write(
      Buffer.concat([
        le(4, 0x06054b50),
        le(2, 0),
        le(2, 0),
        le(2, Math.min(n, 0xffff)),
        le(2, Math.min(n, 0xffff)),
        le(4, this.forceZip64 ? MAX32 : Math.min(cdSize, MAX32)),
        le(4, this.forceZip64 ? MAX32 : Math.min(cdStart, MAX32)),
        le(2, 0),
      ]),
    );
    closeSync(this.fd);
  }

  private write(bytes: Uint8Array): number {
    this.offset += writeAll(this.fd, bytes);
    return bytes.length;
  }
}

function le(bytes: 2 | 4, v: number): Buffer {
  const b = Buffer.alloc(bytes);
  if (bytes === 2) b.writeUInt16LE(v);
  else b.writeUInt32LE(v >>> 0);
  return b;
}
function u64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
}
function extra(id: number, ...data: Buffer[]): Buffer {
  const body = Buffer.concat(data);
  return Buffer.concat([le(2, id), le(2, body.length), body]);
}
