// Side by side on one machine (issue 16): this project's `gptj bench` against ggml's GPT-J example (examples/gpt-j
// of github.com/ggml-org/ggml, the CPU reference engine for GPT-J), per weight dtype (f16/f16, int8/q8_0, q4/q4_0),
// the two engines alternated within each round, medians over the rounds. Nothing is downloaded; build ggml yourself,
// outside this repository (it is never vendored here):
//   git clone https://github.com/ggml-org/ggml /work/ggml-build/src     # examples/gpt-j is in its tree
//   cmake -S /work/ggml-build/src -B /work/ggml-build/build -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DGGML_BUILD_EXAMPLES=ON
//   cmake --build /work/ggml-build/build -j --target gpt-j gpt-j-quantize
// and make its model files from the same checkpoint (the example's convert script needs torch; ours does not):
//   node scripts/ggml-convert.mjs --model CKPT --out MODELS/ggml-f16.bin
//   /work/ggml-build/build/bin/gpt-j-quantize MODELS/ggml-f16.bin MODELS/ggml-q8_0.bin q8_0   # and q4_0
// then (pnpm --filter @gptj/cli build first):
//   node scripts/ggml-side-by-side.mjs --ggml /work/ggml-build/build/bin --ggml-models MODELS --model CKPT \
//     [--pairs f16:f16,int8:q8_0,q4:q4_0] [--rounds 3] [--threads 2] [--prompt-tokens 8] [--new-tokens 32]
//     [--prefill-tokens 64] [--lock /tmp/gptj-6b.lock] [--json FILE]
// Per round, per pair, each engine runs (under `flock --lock` when given, under /usr/bin/time -v for the peak RSS):
// - decode: ours `gptj bench --prompt-tokens 8 --new-tokens 32 --runs 2` (best run); ggml's example prints only its
//   whole predict time, so its decode ms/token is (t(-n 33) - t(-n 1)) / 32 with the same 8-token prompt, and its
//   8-token prompt ms/token is t(-n 1) / 8;
// - prefill: a 64-token prompt, one evaluation (ggml: -b 64 -n 1; ours: --new-tokens 1), ms per prompt token;
//   `--prefill-tokens 8` (the --prompt-tokens) makes the decode runs' prompt the prefill: 3 loads a pair and round, not 5.
// ggml samples greedily (--top_k 1); a run that stops early at token 50256 ends the script with an error. Load time is
// each engine's own figure (ggml reads a pre-quantized file; ours quantizes the checkpoint at load for int8/q4).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    ggml: { type: 'string' },
    'ggml-models': { type: 'string' },
    model: { type: 'string' },
    pairs: { type: 'string', default: 'f16:f16,int8:q8_0,q4:q4_0' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    'prompt-tokens': { type: 'string', default: '8' },
    'new-tokens': { type: 'string', default: '32' },
    'prefill-tokens': { type: 'string', default: '64' },
    lock: { type: 'string' },
    json: { type: 'string' },
  },
});
if (!values.ggml || !values['ggml-models'] || !values.model) {
  fail('usage: node scripts/ggml-side-by-side.mjs --ggml BUILD_BIN_DIR --ggml-models DIR --model CKPT_DIR [options]; see the header');
}
const cli = join(dirname(fileURLToPath(import.meta.url)), '../../../apps/cli/dist/main.js');
const [rounds, threads, promptTokens, newTokens, prefillTokens] = ['rounds', 'threads', 'prompt-tokens', 'new-tokens', 'prefill-tokens'].map(
  (k) => Number(values[k]) || fail(`--${k} must be a positive integer`),
);
const pairs = values.pairs.split(',').map((p) => {
  const [ours, ggml] = p.split(':');
  if (!ours || !ggml) fail(`--pairs: '${p}' is not OURS:GGML (e.g. int8:q8_0)`);
  return { ours, ggml, file: join(values['ggml-models'], `ggml-${ggml}.bin`) };
});

// With --prefill-tokens equal to --prompt-tokens the decode runs' prompt is the prefill: two fewer loads of the model
// a round (on 2 oversubscribed cores a 6B f16 load and run takes minutes). Keep that prompt short (8): ggml's decode is
// the difference of two runs, and a 64-token prompt's own run-to-run noise (seconds) swamps 32 decode steps.
const samePrompt = prefillTokens === promptTokens;
const samples = [];
for (let round = 1; round <= rounds; round++) {
  for (const pair of pairs) {
    // Alternate which engine goes first, so a drift in the host's bandwidth does not favour one.
    const engines = [() => measureOurs(pair), () => measureGgml(pair)];
    for (const run of round % 2 ? engines : engines.reverse()) samples.push({ round, pair: `${pair.ours}/${pair.ggml}`, ...run() });
  }
}
printTable();
if (values.json) writeFileSync(values.json, JSON.stringify({ threads, promptTokens, newTokens, prefillTokens, rounds, samples }, null, 2));

function measureOurs({ ours }) {
  const bench = (prompt, fresh) =>
    timed('node', [
      cli,
      'bench',
      '--model',
      values.model,
      '--dtype',
      ours,
      '--threads',
      `${threads}`,
      '--prompt-tokens',
      `${prompt}`,
      '--new-tokens',
      `${fresh}`,
      '--runs',
      '2',
      '--json',
    ]);
  const decode = bench(promptTokens, newTokens);
  const prefill = samePrompt ? decode : bench(prefillTokens, 1);
  const d = lastJson(decode.stdout);
  const p = lastJson(prefill.stdout);
  return report('ours', {
    decodeMs: d.decode.ms_per_token,
    promptMs: (d.prefill.seconds * 1000) / d.prefill.tokens,
    prefillMs: (p.prefill.seconds * 1000) / p.prefill.tokens,
    loadS: d.model.load_ms / 1000,
    rssGB: Math.max(decode.rssGB, prefill.rssGB),
  });
}

function measureGgml({ file }) {
  const prompt = ggmlRun(file, promptTokens, 1);
  const full = ggmlRun(file, promptTokens, newTokens + 1);
  const prefill = samePrompt ? prompt : ggmlRun(file, prefillTokens, 1);
  return report('ggml', {
    // Two runs' difference: when the prompt's noise exceeds the decode, the sample has no decode figure (NaN).
    decodeMs: full.predictMs > prompt.predictMs ? (full.predictMs - prompt.predictMs) / newTokens : Number.NaN,
    promptMs: prompt.predictMs / promptTokens,
    prefillMs: prefill.predictMs / prefillTokens,
    loadS: full.loadMs / 1000,
    rssGB: Math.max(prompt.rssGB, full.rssGB, prefill.rssGB),
  });
}

/** One run of ggml's gpt-j: `n` tokens predicted after a prompt of exactly `tokens` tokens, all in one batch. */
function ggmlRun(file, tokens, n) {
  // ' the' is one token in GPT-2's vocabulary and in ggml's greedy tokenizer alike: the prompt's length is exact.
  const text = 'The' + ' the'.repeat(tokens - 1);
  const r = timed(join(values.ggml, 'gpt-j'), ['-m', file, '-t', `${threads}`, '-p', text, '-n', `${n}`, '-b', `${tokens}`, '--top_k', '1', '-s', '1']);
  const out = r.stdout + r.stderr;
  const num = (re) => Number(re.exec(out)?.[1] ?? fail(`${file}: no ${re} in ggml's output:\n${out.slice(-2000)}`));
  const got = num(/number of tokens in prompt = (\d+)/);
  if (got !== tokens) fail(`ggml tokenized the ${tokens}-token prompt into ${got} tokens`);
  const predictMs = num(/predict time =\s*([\d.]+) ms/);
  const evaluated = Math.round(predictMs / num(/predict time =.*\/\s*([\d.]+) ms per token/));
  // The example stops at token 50256 without saying so: the tokens it evaluated tell.
  if (evaluated !== tokens + n - 1) fail(`ggml stopped after ${evaluated - tokens} of ${n - 1} new tokens (end of text); use other weights or prompt`);
  return { predictMs, loadMs: num(/load time =\s*([\d.]+) ms/), rssGB: r.rssGB };
}

/** Runs a command under /usr/bin/time -v (and flock when --lock is given); its output and peak RSS in GB. */
function timed(cmd, args) {
  const argv = ['/usr/bin/time', '-v', cmd, ...args];
  if (values.lock) argv.unshift('flock', values.lock);
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) fail(`${argv.join(' ')} exited with ${r.status ?? r.signal}:\n${(r.stdout + r.stderr).slice(-2000)}`);
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? fail(`no peak RSS from /usr/bin/time for ${cmd}`);
  return { stdout: r.stdout, stderr: r.stderr, rssGB: (Number(kb) * 1024) / 1e9 };
}

function lastJson(stdout) {
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  return line ? JSON.parse(line) : fail(`gptj bench printed no JSON:\n${stdout.slice(-2000)}`);
}

/** Logs one engine's figures with the host's state (free memory, load average: 2 shared cores are often oversubscribed). */
function report(engine, m) {
  const avail = Number(/MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]) / 1048576;
  const loadavg = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  const figures = Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(2)}`);
  console.error(`${engine}: ${figures.join(', ')} (MemAvailable ${avail.toFixed(1)} GiB, load average ${loadavg})`);
  return { engine, ...m, loadavg };
}

function printTable() {
  const median = (xs) => {
    const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const cols = [
    ['decodeMs', `decode ms/token (${promptTokens}+${newTokens})`],
    ['promptMs', `prompt ms/token (${promptTokens})`],
    ...(samePrompt ? [] : [['prefillMs', `prompt ms/token (${prefillTokens})`]]),
    ['rssGB', 'peak RSS GB'],
    ['loadS', 'load s'],
  ];
  const loads = samples.map((s) => s.loadavg);
  console.log(
    `\nmedians of ${rounds} rounds, ${threads} threads, host load average ${Math.min(...loads)}-${Math.max(...loads)}; ratio = ours / ggml (below 1: ours takes less)`,
  );
  console.log(`| dtype ours/ggml | ${cols.map(([, h]) => `${h}: ours | ggml | ratio`).join(' | ')} |`);
  console.log(`|---|${cols.map(() => '---|---|---').join('|')}|`);
  for (const { ours, ggml } of pairs) {
    const of = (engine, key) => median(samples.filter((s) => s.pair === `${ours}/${ggml}` && s.engine === engine).map((s) => s[key]));
    const cells = cols.map(([k]) => {
      const [a, b] = [of('ours', k), of('ggml', k)];
      return `${a.toFixed(1)} | ${b.toFixed(1)} | ${(a / b).toFixed(2)}`;
    });
    console.log(`| ${ours}/${ggml} | ${cells.join(' | ')} |`);
  }
}

function fail(message) {
  console.error(`ggml-side-by-side: ${message}`);
  process.exit(1);
}
