/**
 * GPT-2's reversible map between bytes and printable characters: vocab.json and merges.txt spell every
 * token as one character per byte, so whitespace and control bytes never appear raw in the files.
 * Printable Latin-1 bytes map to themselves; the 68 others map to U+0100.. in byte order.
 */
function buildByteToChar(): string[] {
  const chars: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars[b] = String.fromCharCode(printable ? b : next++);
  }
  return chars;
}

/** byteToChar[b] is the character that stands for byte b in vocab.json / merges.txt. */
export const byteToChar: readonly string[] = buildByteToChar();

/** charToByte[c] is the byte that the character with code c stands for (codes 0..0x143), or -1. */
export const charToByte: Int16Array = new Int16Array(0x144).fill(-1);
byteToChar.forEach((c, b) => (charToByte[c.charCodeAt(0)] = b));

/**
 * The order GPT-2 gives the 256 byte tokens ids 0..255: the printable bytes first (ascending), then the
 * others (ascending), i.e. sorted by the code of the character standing for each byte.
 */
export const gpt2ByteOrder: readonly number[] = Array.from({ length: 256 }, (_, b) => b).sort(
  (a, b) => byteToChar[a]!.charCodeAt(0) - byteToChar[b]!.charCodeAt(0),
);
