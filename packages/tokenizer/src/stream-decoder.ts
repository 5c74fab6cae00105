import type { Vocabulary } from './vocabulary.js';

/** Turns ids into text one at a time, for streaming generation. */
export interface StreamDecoder {
  /** Adds one id; returns the text that is now complete (a character split across tokens waits for its last byte). */
  write(id: number): string;
  /** Flushes: an incomplete UTF-8 tail becomes U+FFFD. The decoder can then be reused from scratch. */
  end(): string;
}

/**
 * A StreamDecoder over a WHATWG TextDecoder in streaming mode, which holds back exactly the bytes of an
 * unfinished character, so the concatenated output equals decode() of all ids written.
 */
export class Utf8StreamDecoder implements StreamDecoder {
  // ignoreBOM keeps a leading U+FEFF in the text instead of swallowing it as a byte order mark.
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private written = 0;

  constructor(private readonly vocab: Vocabulary) {}

  write(id: number): string {
    this.vocab.checkId(id, this.written);
    this.written++;
    return this.decoder.decode(this.vocab.bytesOf(id), { stream: true });
  }

  end(): string {
    this.written = 0;
    return this.decoder.decode();
  }
}
