/**
 * Finds stop strings in streamed text across token boundaries. Text that could be the start of a stop string is
 * held back until the next piece shows whether the stop string completes; when it does, the text before it is
 * released and the stop string itself (and anything after it) never is.
 */
export class StopStringMatcher {
  private pending = '';

  constructor(private readonly stops: readonly string[]) {}

  /** Adds the next decoded piece; returns what may be shown now and whether a stop string was completed. */
  push(piece: string): { text: string; stopped: boolean } {
    this.pending += piece;
    let at = -1;
    for (const s of this.stops) {
      const i = this.pending.indexOf(s);
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    if (at >= 0) {
      const text = this.pending.slice(0, at);
      this.pending = '';
      return { text, stopped: true };
    }
    const hold = this.heldBackLength();
    const text = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return { text, stopped: false };
  }

  /** The row ended without a stop string: releases the held-back text. */
  flush(): string {
    const text = this.pending;
    this.pending = '';
    return text;
  }

  /** Length of the longest suffix of the pending text that is a proper prefix of some stop string. */
  private heldBackLength(): number {
    let best = 0;
    for (const s of this.stops) {
      for (let len = Math.min(s.length - 1, this.pending.length); len > best; len--) {
        if (this.pending.endsWith(s.slice(0, len))) {
          best = len;
          break;
        }
      }
    }
    return best;
  }
}
