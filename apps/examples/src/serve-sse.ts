// Serve from your own app: the continuous-batching `Scheduler` of @gptj/sampling behind a plain `node:http`
// handler that streams server-sent events. Every request gets its own event stream while the scheduler advances all
// running requests in each model step; a client that disconnects frees its slot at the next step.
//
//   POST /generate  {"prompt": "...", ...generate options}  ->  text/event-stream:
//     event: token   data: {"type":"token","row":0,"id":...,"text":"..."}     (one per token)
//     event: done    data: {"type":"done","row":0,"finishReason":"length","text":"..."}
//     event: result  data: {"usage":{...},"seed":...,"queuedMs":...,"timeToFirstTokenMs":...}
//   400 bad JSON or options (the message names the option), 429 queue full, 413 body over 64 KiB.
//   GET /stats  ->  the scheduler's { active, queued, freeTokens, sequences }
//
// Run: node apps/examples/dist/serve-sse.js [port]        (default 8080; 0 picks a free port)
//      curl -N localhost:8080/generate -d '{"prompt": "def fibonacci(n):", "maxNewTokens": 32, "seed": 1}'
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { miniCodeDir } from '@gptj/mini-code';
import { loadModel } from '@gptj/model';
import { QueueFullError, SamplingError, Scheduler, type ScheduledRequest } from '@gptj/sampling';
import { Tokenizer } from '@gptj/tokenizer';

const MAX_BODY = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(req: http.IncomingMessage): Promise<{ prompt: string } & Record<string, unknown>> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_BODY) throw new HttpError(413, `the body is over ${MAX_BODY} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new HttpError(400, 'the body must be JSON: {"prompt": "...", ...options}');
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { prompt?: unknown }).prompt !== 'string') {
    throw new HttpError(400, 'the body must be a JSON object with a "prompt" string');
  }
  return parsed as { prompt: string } & Record<string, unknown>;
}

function submit(scheduler: Scheduler, body: { prompt: string } & Record<string, unknown>, signal: AbortSignal): ScheduledRequest {
  const { prompt, ...options } = body;
  try {
    // Unknown or invalid options are the scheduler's to refuse (InvalidOptionError names the option).
    return scheduler.submit(prompt, { ...options, signal });
  } catch (e) {
    if (e instanceof QueueFullError) throw new HttpError(429, e.message);
    if (e instanceof SamplingError) throw new HttpError(400, e.message);
    throw e;
  }
}

const sse = (res: http.ServerResponse, event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

export function createHandler(scheduler: Scheduler): http.RequestListener {
  return async (req, res) => {
    const abort = new AbortController();
    res.on('close', () => abort.abort()); // the client left: the scheduler frees the slot
    try {
      if (req.method === 'GET' && req.url === '/stats')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(scheduler.stats));
      if (req.method !== 'POST' || req.url !== '/generate') throw new HttpError(404, 'only POST /generate and GET /stats are served');
      const request = submit(scheduler, await readJson(req), abort.signal);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      try {
        for await (const e of request) sse(res, e.type, e);
        const { usage, seed, queuedMs, timeToFirstTokenMs } = await request.result;
        sse(res, 'result', { usage, seed, queuedMs, timeToFirstTokenMs });
      } catch (e) {
        sse(res, 'error', { error: (e as Error).message }); // headers are sent: the failure goes in the stream
      }
      res.end();
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (e as Error).message }));
    }
  };
}

async function main(port: number): Promise<void> {
  const model = await loadModel(miniCodeDir);
  const scheduler = new Scheduler(model, Tokenizer.gptj(), { maxSequences: 4, maxQueue: 16 });
  const server = http.createServer(createHandler(scheduler));
  server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  const stop = async () => {
    server.close(); // no new connections; the running streams finish
    await scheduler.close();
    console.log('stopped');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(Number(process.argv[2] ?? 8080));
