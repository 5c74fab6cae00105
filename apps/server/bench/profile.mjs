// Summarises a `node bench/load.mjs --profile DIR` run: the server's main-thread CPU per generated token in each kind
// of phase (one at a time, concurrent; all rounds of a kind together), split into parts, and the functions that
// spend the most. The profile is the server's (node --cpu-prof); DIR/phases.json holds each phase's start and end
// on the profile's clock (monotonic microseconds) and its generated tokens.
//   node bench/profile.mjs DIR [--top 15]
// The native step's own threads are not in the profile; its main-thread share (the synchronous part of the call)
// is the part "native step".
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '15' } }, allowPositionals: true });
const dir = positionals[0];
if (!dir) throw new Error('usage: node bench/profile.mjs DIR [--top N] (DIR: the --profile folder of bench/load.mjs)');
const profiles = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
if (profiles.length !== 1) throw new Error(`${dir}: expected one .cpuprofile, found ${profiles.length}`);
const profile = JSON.parse(readFileSync(join(dir, profiles[0]), 'utf8'));
const phases = JSON.parse(readFileSync(join(dir, 'phases.json'), 'utf8'));

// The part a function's self time counts in: the first rule its URL or name matches, in this order.
const PARTS = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['GC', (f) => f.functionName === '(garbage collector)'],
  ['native step', (f) => f.url.endsWith('cpu-pool.js') && f.functionName === 'step'],
  [
    'socket writes',
    (f) =>
      /^(writev|writeUtf8String|writeBuffer|writeLatin1String)$/.test(f.functionName) ||
      /stream_base_commons|streams\/writable|node:net|_http_outgoing|_http_server/.test(f.url),
  ],
  ['SSE + JSON', (f) => /sse\.js$/.test(f.url) || f.functionName === 'stringify'],
  ['scheduler', (f) => /\/scheduler\//.test(f.url)],
  ['decoding', (f) => /sampling\/dist\//.test(f.url)],
  ['detokenize', (f) => /tokenizer\/dist\//.test(f.url)],
  ['metrics', (f) => /prom-client|metrics\.js$/.test(f.url)],
  ['request handling', (f) => /server\/dist\/|fastify|find-my-way|avvio|light-my-request|pino/.test(f.url)],
  ['promises, ticks, timers', (f) => /task_queues|timers|(^|\/)promises?/.test(f.url) || f.functionName === 'runMicrotasks'],
  ['other', () => true],
];

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const partOf = new Map();
const keyOf = new Map();
for (const n of profile.nodes) {
  const f = n.callFrame;
  partOf.set(n.id, PARTS.find(([, test]) => test(f))[0]);
  keyOf.set(n.id, `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`);
}

/** Self microseconds by part and by function over the phases named `name`. */
function tally(kind) {
  const parts = new Map();
  const fns = new Map();
  const windows = phases.filter((p) => p.name === kind);
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (!windows.some((w) => t >= w.startUs && t < w.endUs)) continue;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const id = nodes.get(profile.samples[i]).id;
    parts.set(partOf.get(id), (parts.get(partOf.get(id)) ?? 0) + dt);
    fns.set(keyOf.get(id), (fns.get(keyOf.get(id)) ?? 0) + dt);
  }
  const tokens = windows.reduce((a, w) => a + w.generated, 0);
  return { tokens, parts, fns };
}

const usPerToken = (us, tokens) => (us / tokens).toFixed(2).padStart(8);
for (const kind of [...new Set(phases.map((p) => p.name))]) {
  const { tokens, parts, fns } = tally(kind);
  const busy = [...parts].reduce((a, [part, us]) => a + (part === 'idle' ? 0 : us), 0);
  console.log(
    `\n${kind}: ${tokens} tokens, main thread busy ${usPerToken(busy, tokens).trim()} us/token (JS without the native step ${usPerToken(busy - (parts.get('native step') ?? 0), tokens).trim()})`,
  );
  for (const [part] of PARTS) if (parts.has(part)) console.log(`  ${part.padEnd(24)} ${usPerToken(parts.get(part), tokens)} us/token`);
  console.log('  top functions (self):');
  const top = [...fns].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]);
  for (const [k, us] of top.slice(0, Number(values.top))) console.log(`  ${usPerToken(us, tokens)}  ${k}`);
}
