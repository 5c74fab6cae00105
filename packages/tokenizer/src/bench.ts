/**
 * Encode/decode throughput of this package, gpt-tokenizer and js-tiktoken (gpt2 encoding) on the same
 * deterministic mixed corpus, in one run. Usage: pnpm bench [-- --mb 5 --runs 3]
 * The peers are devDependencies: run it from a checkout after pnpm install.
 */
import { parseArgs } from 'node:util';
import { Tokenizer } from './index.js';
import { mixedCorpus } from './corpus.js';

interface Subject {
  name: string;
  encode(text: string): number[];
  decode(ids: number[]): string;
}

async function subjects(): Promise<Subject[]> {
  const gt = await import('gpt-tokenizer/encoding/r50k_base');
  const { getEncoding } = await import('js-tiktoken');
  const tiktoken = getEncoding('gpt2');
  const ours = Tokenizer.gptj();
  return [
    { name: '@gptj/tokenizer', encode: (t) => ours.encode(t), decode: (ids) => ours.decode(ids) },
    { name: 'gpt-tokenizer 4.0.0', encode: (t) => gt.encode(t, { disallowedSpecial: new Set() }), decode: (ids) => gt.decode(ids) },
    { name: 'js-tiktoken 1.0.21', encode: (t) => tiktoken.encode(t, [], []), decode: (ids) => tiktoken.decode(ids) },
  ];
}

/** Seconds that fn takes. */
function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { mb: { type: 'string', default: '5' }, runs: { type: 'string', default: '3' } } });
  const runs = Number(values.runs);
  const text = mixedCorpus(Math.round(Number(values.mb) * 1e6));
  const mb = Buffer.byteLength(text, 'utf8') / 1e6;
  console.log(`corpus: ${text.length} UTF-16 units, ${mb.toFixed(2)} MB UTF-8, deterministic mixed (seed 1); best of ${runs} interleaved rounds`);
  const all = await subjects();
  const rows = all.map((s) => ({ name: s.name, enc: 0, dec: 0, tokens: 0 }));
  for (const s of all) s.encode(text.slice(0, 200_000)); // warm up the JIT
  // Runs are interleaved (each library once per round) and the best round counts, so a burst of load
  // from other processes on a shared machine hits every library alike rather than skewing one ratio.
  for (let round = 0; round < runs; round++) {
    all.forEach((s, k) => {
      let ids: number[] = [];
      const enc = time(() => (ids = s.encode(text)));
      const dec = time(() => s.decode(ids));
      const row = rows[k]!;
      row.enc = Math.max(row.enc, mb / enc);
      row.dec = Math.max(row.dec, mb / dec);
      row.tokens = ids.length;
    });
  }
  const base = rows.find((r) => r.name.startsWith('gpt-tokenizer'))!;
  console.log('library               tokens      encode MB/s  (x gpt-tokenizer)  decode MB/s  (x gpt-tokenizer)');
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(20)}  ${String(r.tokens).padStart(9)}  ${r.enc.toFixed(2).padStart(11)}  ${(r.enc / base.enc).toFixed(2).padStart(17)}  ` +
        `${r.dec.toFixed(2).padStart(11)}  ${(r.dec / base.dec).toFixed(2).padStart(17)}`,
    );
  }
}

await main();
