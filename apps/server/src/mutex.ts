// One generation at a time on the model: a FIFO async lock. Requests wait their turn without blocking the event loop.

export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves with a `release` function once every earlier holder has released (calling it twice is harmless). */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const turn = this.tail.then(() => {
      let released = false;
      return () => {
        if (!released) {
          released = true;
          release();
        }
      };
    });
    this.tail = this.tail.then(() => held);
    return turn;
  }
}
