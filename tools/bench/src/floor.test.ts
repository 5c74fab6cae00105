// The floor must be trusted (issue 16): @gptj/tensor's read-bandwidth probe has to reach what the
// plain C reader (native/reference-reader.c, built here with the host's compiler for this host)
// reaches on the same machine, to within 10%. Bandwidth on a shared host moves by 2x from second to
// second, so the two alternate in short turns (the C reader stays up between its turns, its buffer
// touched once), with the same thread count, buffer size and number of timed passes each, and their
// best passes over a series are compared. A series below 90% is repeated, up to SERIES times: a probe
// that is really slower (a regression to a weaker loop) is below in every series.
// Above is allowed: the probe keeps the best of ten loops, and at quiet moments on the Zen 5 host its
// non-temporal and prefetching loops read 15-40% more than the C loop. Twice the C reader is not a better
// loop but a timing error (a clock started after the readers), and fails.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { getNumThreads, probeReadBandwidth } from '@gptj/tensor';
import { afterAll, describe, expect, it } from 'vitest';

const source = fileURLToPath(new URL('../native/reference-reader.c', import.meta.url));
const hasCompiler = spawnSync('cc', ['--version']).status === 0;

const BUFFER = 128 << 20; // 4x the 32 MiB LLC of the EPYC hosts; the probe reads two of them
const TURNS = 8; // turns of each reader per series
const PROBE_PASSES = 2; // timed passes of every probe method per turn
const SERIES = 4;

/** The C reader as a child: each request runs `passes` timed passes and answers their best, bytes/s. */
function startReader(exe: string, threads: number): { passes(n: number): Promise<number>; child: ChildProcessWithoutNullStreams } {
  const child = spawn(exe, [String(BUFFER), String(threads)]);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    child,
    async passes(n) {
      child.stdin.write(`${n}\n`);
      const { value, done } = await lines.next();
      if (done) throw new Error(`reference-reader exited (${String(child.exitCode)})`);
      return (JSON.parse(value as string) as { best: number }).best;
    },
  };
}

describe.skipIf(!hasCompiler)('read-bandwidth probe against the C reference reader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gptj-floor-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the probe reads at least 90% of what the C reader reads, best of alternating turns', async () => {
    const exe = join(dir, 'reference-reader');
    execFileSync('cc', ['-O3', '-march=native', '-pthread', source, '-o', exe]);
    const threads = getNumThreads();
    const reader = startReader(exe, threads);
    const ratios: number[] = [];
    try {
      for (let series = 0; series < SERIES; series++) {
        let probeBest = 0,
          refBest = 0,
          method = '';
        for (let turn = 0; turn < TURNS; turn++) {
          const probe = probeReadBandwidth(2 * BUFFER, PROBE_PASSES);
          if (probe.best > probeBest) [probeBest, method] = [probe.best, probe.method];
          // As many timed passes as the probe made over all its methods and buffers, so that neither
          // side gets more draws at a quiet second.
          refBest = Math.max(refBest, await reader.passes(PROBE_PASSES * probe.methods.length));
        }
        ratios.push(probeBest / refBest);
        console.log(
          `series ${series + 1}: probe ${(probeBest / 1e9).toFixed(1)} GB/s (${method}), C reader ${(refBest / 1e9).toFixed(1)} GB/s, ` +
            `ratio ${ratios[series]!.toFixed(3)}, ${threads} threads, best of ${TURNS} turns`,
        );
        if (ratios[series]! >= 0.9) break;
      }
    } finally {
      reader.child.stdin.end();
    }
    const summary = `probe / C reader per series: ${ratios.map((r) => r.toFixed(3)).join(', ')}`;
    expect(
      ratios.some((r) => r >= 0.9),
      summary,
    ).toBe(true);
    expect(
      ratios.every((r) => r < 2),
      summary,
    ).toBe(true);
  }, 180_000);
});
