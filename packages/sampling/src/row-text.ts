import type { TextTokenizer } from './interfaces.js';
import { StopStringMatcher } from './stop-strings.js';

/** The text side of one output row: streaming UTF-8 decoder, then stop-string matching. */
export class RowText {
  private readonly decoder: { write(id: number): string; end(): string };
  private readonly stop: StopStringMatcher;

  constructor(tokenizer: TextTokenizer, stops: readonly string[]) {
    this.decoder = tokenizer.createStreamDecoder();
    this.stop = new StopStringMatcher(stops);
  }

  /** Text released by one more token, and whether it completed a stop string. */
  write(id: number): { text: string; stopped: boolean } {
    return this.stop.push(this.decoder.write(id));
  }

  /** End of the row: the decoder's tail and held-back text (which may still complete a stop string). */
  end(): { text: string; stopped: boolean } {
    const tail = this.stop.push(this.decoder.end());
    return tail.stopped ? tail : { text: tail.text + this.stop.flush(), stopped: false };
  }
}
