// The read-bandwidth floor (issue 16): every method of @gptj/tensor's probe, best and median, and the plain C
// reader this package builds (native/reference-reader.c -> build/Release/reference-reader) in alternating
// turns with the same threads, buffer size and number of timed passes, so the probe is checked in the same run.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { probeReadBandwidth } from '@gptj/tensor';

import { median } from './median.js';

export interface FloorMethod {
  name: string;
  huge_pages: boolean;
  best_gb_s: number;
  median_gb_s: number;
}
export interface FloorFigures {
  buffer_mib: number;
  methods: FloorMethod[];
  /** The method whose best pass was the highest, and that pass. */
  best_method: string;
  best_gb_s: number;
  c_reader: { best_gb_s: number; median_gb_s: number } | { skipped: string };
}

const READER = fileURLToPath(new URL('../../build/Release/reference-reader', import.meta.url));

/** The C reader as a child: each request runs `passes` timed passes and answers best and median, bytes/s. */
function startReader(bytes: number, threads: number) {
  const child = spawn(READER, [String(bytes), String(threads)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async passes(n: number): Promise<{ best: number; median: number }> {
      child.stdin.write(`${n}\n`);
      const { value, done } = await lines.next();
      if (done) throw new Error(`reference-reader exited (${String(child.exitCode)})`);
      return JSON.parse(value as string) as { best: number; median: number };
    },
    close: () => child.stdin.end(),
  };
}

/** `turns` turns of the probe (passes each, every method) and of the C reader over `bufferBytes`. */
export async function measureFloor(bufferBytes: number, threads: number, turns: number, passes: number): Promise<FloorFigures> {
  // The probe reads two buffers of half the size (huge and default pages); the C reader one of half the size.
  const reader = existsSync(READER) ? startReader(bufferBytes / 2, threads) : undefined;
  const perMethod = new Map<string, { hugePages: boolean; best: number; medians: number[] }>();
  const cBest: number[] = [],
    cMedian: number[] = [];
  try {
    for (let t = 0; t < turns; t++) {
      const p = probeReadBandwidth(bufferBytes, passes);
      for (const m of p.methods) {
        const key = `${m.name}/${m.hugePages ? 'huge' : 'default'}`;
        const e = perMethod.get(key) ?? { hugePages: m.hugePages, best: 0, medians: [] };
        e.best = Math.max(e.best, m.best);
        e.medians.push(m.median);
        perMethod.set(key, e);
      }
      if (reader) {
        const r = await reader.passes(passes * p.methods.length);
        cBest.push(r.best);
        cMedian.push(r.median);
      }
    }
  } finally {
    reader?.close();
  }
  const methods = [...perMethod].map(([key, e]) => ({
    name: key.split('/')[0] ?? key,
    huge_pages: e.hugePages,
    best_gb_s: e.best / 1e9,
    median_gb_s: median(e.medians) / 1e9,
  }));
  const best = methods.reduce((a, b) => (b.best_gb_s > a.best_gb_s ? b : a));
  return {
    buffer_mib: bufferBytes / 2 ** 20,
    methods,
    best_method: `${best.name} (${best.huge_pages ? 'huge' : 'default'} pages)`,
    best_gb_s: best.best_gb_s,
    c_reader: reader
      ? { best_gb_s: Math.max(...cBest) / 1e9, median_gb_s: median(cMedian) / 1e9 }
      : { skipped: `${READER} not built (pnpm --filter @gptj/bench build)` },
  };
}
