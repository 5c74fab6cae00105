// Server memory under a long mixed load (takes minutes; not part of pnpm test): node apps/server/bench/rss.mjs
// Starts the built server (mini-code, default slots) in a child process and sends --requests requests (default 1000)
// from --concurrency clients: completions and chats, streamed or not, prompts of 1 to ~300 tokens, max_tokens 1..96,
// greedy and sampled, with every 10th request aborted mid-stream. The server's resident set size (its own
// process_resident_memory_bytes on /metrics) is read after the first 100 requests, every 500 after that and at the
// end; the run fails (exit 1) when the final RSS is more than 5% above the first reading, or when a request not
// aborted failed.
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '1000' }, concurrency: { type: 'string', default: '8' } } });
const total = Number(values.requests);
const concurrency = Number(values.concurrency);

const serve = new URL('../src/test-support/serve.mjs', import.meta.url).pathname;
const child = spawn(process.execPath, [serve, JSON.stringify({ server: { logger: false } })], { stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = await once(createInterface({ input: child.stdout }), 'line');
const base = `http://127.0.0.1:${JSON.parse(line).port}`;

/** A deterministic pseudo-random stream, so runs are comparable. */
let state = 12345;
const rand = () => {
  state = (Math.imul(state, 1103515245) + 12345) >>> 0;
  return state / 2 ** 32;
};
const WORDS = ['def', 'return', 'self', 'import', 'class', 'for', 'in', 'range', 'x', 'value', 'print', '(', ')', ':', '\n', '    '];

function request(i) {
  const words = 1 + Math.floor(rand() * (rand() < 0.2 ? 250 : 30));
  const prompt = Array.from({ length: words }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
  const sampling = { max_tokens: 1 + Math.floor(rand() * 96), temperature: rand() < 0.5 ? 0 : 0.8, seed: i };
  const abort = i % 10 === 9;
  const stream = abort || rand() < 0.5;
  const chat = rand() < 0.3;
  const body = chat ? { messages: [{ role: 'user', content: prompt }], ...sampling, stream } : { prompt, ...sampling, stream };
  return { path: chat ? '/v1/chat/completions' : '/v1/completions', body, abort };
}

async function run(i) {
  const { path, body, abort } = request(i);
  const controller = new AbortController();
  try {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    if (res.status !== 200) return `status ${res.status}: ${await res.text()}`;
    if (!abort) {
      await res.text();
      return null;
    }
    const reader = res.body.getReader();
    await reader.read(); // the first chunk, then hang up
    controller.abort();
    return null;
  } catch (err) {
    return abort ? null : String(err);
  }
}

async function rss() {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(text.match(/^process_resident_memory_bytes (\S+)$/m)[1]);
}

const failures = [];
let next = 0;
async function worker(until) {
  while (next < until) {
    const f = await run(next++);
    if (f) failures.push(f);
  }
}
const phase = async (until) => Promise.all(Array.from({ length: concurrency }, () => worker(until)));

const t0 = performance.now();
try {
  const readings = [];
  for (const until of [100, ...Array.from({ length: Math.ceil(total / 500) }, (_, k) => Math.min(total, 500 * (k + 1)))]) {
    await phase(until);
    readings.push([until, await rss()]);
  }
  const first = readings[0][1];
  const last = readings.at(-1)[1];
  const mb = (b) => (b / 2 ** 20).toFixed(1);
  const growth = (last / first - 1) * 100;
  console.log(
    `server RSS after 100 requests: ${mb(first)} MiB; after ${total}: ${mb(last)} MiB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)}%); ${((performance.now() - t0) / 1000).toFixed(0)} s; ${failures.length} failed requests`,
  );
  console.log(`  readings: ${readings.map(([n, b]) => `${n}: ${mb(b)}`).join(', ')} MiB`);
  for (const f of failures.slice(0, 5)) console.log(`  ${f}`);
  process.exitCode = growth <= 5 && failures.length === 0 ? 0 : 1;
} finally {
  child.kill('SIGTERM');
}
