// Worker thread behind injectSync (inject-sync.ts): hosts the built app (dist/) with the mini-code model and answers
// one app.inject at a time through a SharedArrayBuffer, so a synchronous fuzz predicate can drive the real app.
// Generation is cut after 2 pieces of text (an abort, as a disconnecting client causes), so every input stays cheap
// while validation, option mapping and the error paths run unchanged.
import { parentPort, workerData } from 'node:worker_threads';
import { createServer } from '../../dist/index.js';

const { shared } = workerData;
const state = new Int32Array(shared, 0, 4); // [done flag, byte length of the reply, request id, id being served]
const bytes = new Uint8Array(shared, 16);

const app = await createServer();
const run = app.gptj.run.bind(app.gptj);
app.gptj.run = (prompt, options, onText) => {
  const cut = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, cut.signal]) : cut.signal;
  let pieces = 0;
  return run(prompt, { ...options, signal }, (text) => {
    if (++pieces >= 2) cut.abort();
    return onText?.(text);
  });
};
await app.ready();

parentPort.on('message', async ({ id, request }) => {
  Atomics.store(state, 3, id);
  let reply;
  try {
    const res = await app.inject(request);
    reply = { status: res.statusCode, contentType: res.headers['content-type'] ?? null, body: res.body };
  } catch (err) {
    reply = { status: -1, contentType: null, body: String(err?.stack ?? err) };
  }
  const encoded = new TextEncoder().encode(JSON.stringify(reply));
  const n = Math.min(encoded.length, bytes.length);
  bytes.set(encoded.subarray(0, n));
  Atomics.store(state, 1, encoded.length > bytes.length ? -1 : n);
  Atomics.store(state, 2, id);
  Atomics.store(state, 0, 1);
  Atomics.notify(state, 0);
});
parentPort.postMessage('ready');
