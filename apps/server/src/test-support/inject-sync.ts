// A synchronous app.inject for fuzz predicates (the shared fuzz driver runs synchronous properties): the app lives in a
// worker thread (inject-worker.mjs, on the built dist/), the caller blocks on Atomics.wait until the reply is written,
// and a reply that does not come within the bound is reported as a hang.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

export interface InjectRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  payload?: string | Buffer;
}

export interface InjectReply {
  status: number;
  contentType: string | null;
  body: string;
}

const REPLY_BYTES = 4 << 20;

export class SyncInjector {
  private readonly state: Int32Array;
  private readonly bytes: Uint8Array;
  private nextId = 1;
  /** The last requests sent, by id: a hang report names the one the worker is still serving. */
  private readonly recent = new Map<number, InjectRequest>();

  private constructor(
    private readonly worker: Worker,
    shared: SharedArrayBuffer,
  ) {
    this.state = new Int32Array(shared, 0, 4);
    this.bytes = new Uint8Array(shared, 16);
  }

  static async start(): Promise<SyncInjector> {
    const shared = new SharedArrayBuffer(16 + REPLY_BYTES);
    const worker = new Worker(new URL('./inject-worker.mjs', import.meta.url), { workerData: { shared } });
    const [message] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([err]) => Promise.reject(err))])) as [string];
    if (message !== 'ready') throw new Error(`inject worker: unexpected first message ${message}`);
    return new SyncInjector(worker, shared);
  }

  /** The app's reply to `request`; throws when none comes within `timeoutMs`. */
  inject(request: InjectRequest, timeoutMs: number): InjectReply {
    const id = this.nextId++;
    this.recent.set(id, request);
    this.recent.delete(id - 100);
    Atomics.store(this.state, 0, 0);
    this.worker.postMessage({ id, request });
    const deadline = performance.now() + timeoutMs;
    // a late reply to an earlier request that timed out carries its own id: wait on
    do {
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(this.state, 0, 0, left) === 'timed-out') throw this.hang(id, timeoutMs);
      if (Atomics.load(this.state, 2) !== id) Atomics.store(this.state, 0, 0);
    } while (Atomics.load(this.state, 2) !== id);
    const n = Atomics.load(this.state, 1);
    if (n < 0) throw new Error(`reply larger than ${REPLY_BYTES} bytes`);
    return JSON.parse(new TextDecoder().decode(this.bytes.slice(0, n))) as InjectReply;
  }

  private hang(id: number, timeoutMs: number): Error {
    const serving = Atomics.load(this.state, 3);
    const busy = serving === id ? 'this request' : `request ${serving} of ${id} (${JSON.stringify(this.recent.get(serving) ?? null).slice(0, 2000)})`;
    return new Error(`no reply within ${timeoutMs} ms (a hang): the app is still serving ${busy}`);
  }

  /** Terminates the worker; one stuck in a native call cannot be, so after 5 s it is left to die with the process. */
  async stop(): Promise<void> {
    this.worker.unref();
    await Promise.race([this.worker.terminate(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  }
}
