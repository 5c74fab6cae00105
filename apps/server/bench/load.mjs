// Load benchmark of the server (pnpm bench in apps/server, or: node apps/server/bench/load.mjs [options]).
// Starts the built server in a child process on 127.0.0.1 (bundled mini-code model unless --model), then sends the
// same N streaming greedy completions twice in one run (a plain SSE client, or the official openai client with
// --client openai): one after another, then all N at once. Prints aggregate generated tokens/s, p50/p99 time to first token and inter-token latency for both,
// the speed-up, whether the concurrent texts equal the one-at-a-time texts, and how many requests were lost, and the CPU
// time each side spent per generated token: the server's (all its threads, /proc) and this process's (the clients).
// Bounded: N requests per phase, and the whole run is aborted after --budget seconds. With --rounds R the two phases
// alternate R times (sequential, concurrent, sequential, ...) and the median speed-up of the rounds is reported: on a
// shared machine the load changes within seconds, and one pair of phases can land on a busy and a quiet moment.
//   --clients 32   concurrent clients (= requests per phase)
//   --tokens 64    max_tokens per request (greedy)
//   --parallel N   server slots (default: --clients)
//   --model DIR    model directory (default: the bundled mini-code checkpoint)
//   --budget 600   seconds before the run is aborted
//   --rounds 1     alternating pairs of phases; the speed-up reported is their median
//   --client sse   the streaming client, the same in both phases: sse (node:http and an SSE parser, sse-client.mjs)
//                  or openai (the official openai client: about 2.5x the client CPU per token)
//   --profile DIR  the server runs under node --cpu-prof (a sample every 100 us) and writes its profile to DIR when the run ends, beside
//                  phases.json (each phase's monotonic start and end, microseconds: V8 profiles' clock); summarise
//                  with bench/profile.mjs DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { once, setMaxListeners } from 'node:events';
import { createInterface } from 'node:readline';
import OpenAI from 'openai';
import { streamEvents } from './sse-client.mjs';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '32' },
    tokens: { type: 'string', default: '64' },
    parallel: { type: 'string' },
    model: { type: 'string' },
    budget: { type: 'string', default: '600' },
    rounds: { type: 'string', default: '1' },
    profile: { type: 'string' },
    client: { type: 'string', default: 'sse' },
  },
});
if (!['sse', 'openai'].includes(values.client)) throw new RangeError(`--client must be sse or openai, got ${values.client}`);
const clients = Number(values.clients);
const tokens = Number(values.tokens);
const parallel = Number(values.parallel ?? clients);
const rounds = Number(values.rounds);
const budget = AbortSignal.timeout(Number(values.budget) * 1000);
// Every request listens to the budget signal (the openai client links its own to it, and not every listener is gone
// when a stream ends): no listener cap on a signal that lives for the whole run.
setMaxListeners(0, budget);

// Python-ish openings (the demo model writes Python), distinct so every request has its own text.
const OPENINGS = [
  '# Copyright',
  'def fibonacci(n):\n',
  'import os\n',
  'class Node:\n',
  'def main():\n',
  '"""Utilities for',
  'for i in range(',
  'with open(path) as f:\n',
];
const prompts = Array.from({ length: clients }, (_, i) => `${OPENINGS[i % OPENINGS.length]}${i >= OPENINGS.length ? ` # ${i}\n` : ''}`);

const serve = new URL('../src/test-support/serve.mjs', import.meta.url).pathname;
const child = spawn(
  process.execPath,
  [
    ...(values.profile ? ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', values.profile] : []),
    serve,
    JSON.stringify({ server: { parallel, maxQueue: clients, ...(values.model ? { modelDir: values.model } : {}), logger: false } }),
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const [line] = await once(createInterface({ input: child.stdout }), 'line');
const { port } = JSON.parse(line);
const baseURL = `http://127.0.0.1:${port}/v1`;
const openai = values.client === 'openai' ? new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 0, timeout: 600_000 }) : null;

/** One streamed request: its text, generated tokens, time to first token and the gaps between chunks (ms). */
async function one(prompt) {
  const t0 = performance.now();
  let text = '';
  let first = null;
  let last = null;
  const gaps = [];
  let generated = 0;
  const onChunk = (chunk) => {
    const piece = chunk.choices[0]?.text ?? '';
    if (chunk.usage) generated = chunk.usage.completion_tokens;
    if (!piece) return;
    const now = performance.now();
    if (first === null) first = now - t0;
    else gaps.push(now - last);
    last = now;
    text += piece;
  };
  const body = { model: 'gptj-mini-code', prompt, max_tokens: tokens, temperature: 0, stream: true };
  if (openai) for await (const chunk of await openai.completions.create(body, { signal: budget })) onChunk(chunk);
  else await streamEvents(`${baseURL}/completions`, body, budget, onChunk);
  return { text, generated, ttft: first, gaps };
}

/** The requests one after another, settled as Promise.allSettled would. */
async function oneAtATime(list) {
  const out = [];
  for (const p of list)
    out.push(
      await one(p).then(
        (value) => ({ status: 'fulfilled', value }),
        (reason) => ({ status: 'rejected', reason }),
      ),
    );
  return out;
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** The server's CPU seconds so far (user + system, Linux /proc; NaN elsewhere): its cost per token, which other load on the host inflates far less than wall time. */
function serverCpuSeconds() {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** Each phase's start and end in microseconds of the monotonic clock, the clock of V8's CPU profiles (--profile). */
const phaseTimes = [];
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

async function phase(name, run) {
  const t0 = performance.now();
  const us0 = monotonicUs();
  const cpu0 = serverCpuSeconds();
  const client0 = process.cpuUsage();
  const settled = await run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = serverCpuSeconds() - cpu0;
  const client = process.cpuUsage(client0); // this process: the clients' requests and stream parsing
  const done = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value);
  const generated = done.reduce((a, r) => a + r.generated, 0);
  phaseTimes.push({ name, startUs: us0, endUs: monotonicUs(), generated });
  return {
    name,
    seconds,
    generated,
    lost: settled.length - done.length,
    errors: settled.filter((s) => s.status === 'rejected').map((s) => String(s.reason?.message ?? s.reason)),
    tokPerS: generated / seconds,
    cpuMsPerToken: (1000 * cpu) / generated,
    clientCpuMsPerToken: (client.user + client.system) / 1000 / generated,
    ttft: [
      pct(
        done.map((r) => r.ttft),
        50,
      ),
      pct(
        done.map((r) => r.ttft),
        99,
      ),
    ],
    itl: [
      pct(
        done.flatMap((r) => r.gaps),
        50,
      ),
      pct(
        done.flatMap((r) => r.gaps),
        99,
      ),
    ],
    texts: settled.map((s) => (s.status === 'fulfilled' ? s.value.text : null)),
  };
}

try {
  // First touch of the weights and caches, and the JIT's warm-up of both phases' code (a first timed one-at-a-time
  // phase on cold code ran 0.6x the speed of later ones), outside the timed phases.
  await one('# warm-up');
  await oneAtATime(prompts.slice(0, 8));
  await Promise.allSettled(prompts.slice(0, 8).map(one));
  const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  console.log(
    `\nserver load: ${clients} streaming clients, greedy, max_tokens ${tokens}, --parallel ${parallel}, ${values.model ?? 'mini-code'}, ${values.client} client`,
  );
  console.log('phase            requests  lost  tokens  wall s   tok/s   TTFT p50/p99 ms   inter-token p50/p99 ms   CPU ms/token server, client');
  const speedups = [];
  let same = 0,
    lost = 0;
  const errors = [];
  for (let round = 0; round < rounds; round++) {
    const sequential = await phase('one at a time', () => oneAtATime(prompts));
    const concurrent = await phase(`${clients} concurrent`, () => Promise.allSettled(prompts.map(one)));
    same += concurrent.texts.filter((t, i) => t !== null && t === sequential.texts[i]).length;
    lost += sequential.lost + concurrent.lost;
    errors.push(...sequential.errors, ...concurrent.errors);
    speedups.push(concurrent.tokPerS / sequential.tokPerS);
    for (const r of [sequential, concurrent]) {
      console.log(
        `${r.name.padEnd(16)} ${String(clients).padStart(8)} ${String(r.lost).padStart(5)} ${String(r.generated).padStart(7)} ${f(r.seconds).padStart(7)} ${f(r.tokPerS).padStart(7)}   ${`${f(r.ttft[0])} / ${f(r.ttft[1])}`.padStart(15)}   ${`${f(r.itl[0])} / ${f(r.itl[1])}`.padStart(20)}   ${r.cpuMsPerToken.toFixed(3).padStart(19)}, ${r.clientCpuMsPerToken.toFixed(3)}`,
      );
    }
  }
  const each = rounds > 1 ? ` (median of ${rounds} rounds: ${speedups.map((x) => x.toFixed(2)).join(', ')})` : '';
  console.log(
    `aggregate speed-up: ${pct(speedups, 50).toFixed(2)}x${each}; concurrent texts identical to one-at-a-time: ${same}/${clients * rounds}; requests lost: ${lost}`,
  );
  for (const e of errors.slice(0, 5)) console.log(`  error: ${e}`);
  process.exitCode = same === clients * rounds && lost === 0 ? 0 : 1;
} finally {
  child.kill('SIGTERM');
  if (values.profile) mkdirSync(values.profile, { recursive: true });
  if (values.profile) writeFileSync(`${values.profile}/phases.json`, `${JSON.stringify(phaseTimes, null, 1)}\n`);
}
