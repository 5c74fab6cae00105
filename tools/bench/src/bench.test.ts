// `pnpm bench` (dist/bench.js) on the tiny random shape: the JSON has every section, and every ratio in it
// equals the quotient of the figures stored beside it, all measured in this one run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import type { BenchReport } from './table/report.js';
import { prefillFlops, weightBytesPerToken } from './table/report.js';

const dir = mkdtempSync(join(tmpdir(), 'gptj-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * Math.abs(want));
/** The upper middle of the sorted values (for an even count, the larger of the two middle ones), as the bench takes it. */
const middle = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const positive = (v: unknown) => expect(typeof v === 'number' && Number.isFinite(v) && v > 0, String(v)).toBe(true);

describe('pnpm bench --tiny', () => {
  it('writes the one-table JSON, each ratio computed from figures of the same run', () => {
    const json = join(dir, 'bench.json');
    const bench = fileURLToPath(new URL('../dist/bench.js', import.meta.url));
    const before = Date.now();
    const out = execFileSync(process.execPath, [bench, '--tiny', '--json', json], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const after = Date.now();
    expect(out).toContain(`JSON: ${json}`);
    expect(out).toMatch(/random GPT-J written for this run/);
    expect(out).toMatch(/median step vs probe median: \d+% \(\d+%-\d+%\) of floor/);
    expect(out).toMatch(/fastest step vs probe best: \d+% \(\d+%-\d+%\) of floor/);
    const r = JSON.parse(readFileSync(json, 'utf8')) as BenchReport;

    expect(r.run.generated).toBe(true);
    // the source it measured: this checkout's HEAD (as git names it) and when the CPU addon was built
    const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
    expect(r.run.source.commit).toBe(head);
    expect(Number.isFinite(Date.parse(r.run.source.cpu_addon_built))).toBe(true);
    expect(out).toContain(`source: commit ${head}, CPU addon built ${r.run.source.cpu_addon_built}`);
    // run.started is taken before the first measurement (it was taken when the report was written, at the end)
    const started = Date.parse(r.run.started);
    expect(started).toBeGreaterThanOrEqual(before - 1000);
    expect(started - before).toBeLessThan(after - started);
    expect(r.floor.methods.length).toBeGreaterThan(0);
    for (const m of r.floor.methods) [m.best_gb_s, m.median_gb_s].forEach(positive);
    expect(r.floor.best_gb_s).toBe(Math.max(...r.floor.methods.map((m) => m.best_gb_s)));
    if ('best_gb_s' in r.floor.c_reader) close(r.floor.ratios.probe_vs_c_reader ?? NaN, r.floor.best_gb_s / r.floor.c_reader.best_gb_s);

    [r.peak.fma_gflops, r.peak.gemm_cached_gflops, r.peak.gemm_cached_cpu_gflops].forEach(positive);
    close(r.peak.ratios.gemm_cached_of_peak, r.peak.gemm_cached_gflops / r.peak.fma_gflops);
    close(r.peak.ratios.gemm_cached_of_peak_per_cpu_s, r.peak.gemm_cached_cpu_gflops / r.peak.fma_gflops);

    expect(r.small_m.length).toBeGreaterThan(0);
    for (const s of r.small_m) {
      [s.gemm_ms, s.gemv_rows_ms, s.weight_bytes].forEach(positive);
      close(s.ratios.gemv_rows_over_gemm, s.gemv_rows_ms / s.gemm_ms);
      close(s.ratios.gemm_of_floor, (s.weight_bytes / (r.floor.best_gb_s * 1e9) / s.gemm_ms) * 1e3);
    }

    expect(r.models.map((m) => m.dtype)).toEqual(['f16', 'int8', 'q4']);
    for (const m of r.models) {
      [m.load_s, m.prefill_s, m.prefill_cpu_s, m.peak_rss_bytes, m.alongside.fma_gflops].forEach(positive);
      expect(m.weight_bytes_per_token).toBe(weightBytesPerToken(m.config, m.dtype));
      expect(m.prefill_flops).toBe(prefillFlops(m.config, m.prompt_tokens));
      // decode: every round kept, each ratio against the probe of its own round
      const d = m.decode;
      expect(d.rounds.length).toBe(m.decode_plan.rounds);
      for (const round of d.rounds) {
        expect(round.step_ms.length).toBe(m.decode_plan.steps);
        [...round.step_ms, round.probe.best_gb_s, round.probe.median_gb_s].forEach(positive);
        expect(round.probe.median_gb_s).toBeLessThanOrEqual(round.probe.best_gb_s);
        const floorMs = (gbs: number) => (m.weight_bytes_per_token / (gbs * 1e9)) * 1e3;
        close(round.ratios.median_of_floor, floorMs(round.probe.median_gb_s) / middle(round.step_ms));
        close(round.ratios.best_of_floor, floorMs(round.probe.best_gb_s) / Math.min(...round.step_ms));
      }
      expect(d.step_ms_median).toBe(middle(d.rounds.flatMap((x) => x.step_ms)));
      for (const key of ['median_of_floor', 'best_of_floor'] as const) {
        const perRound = d.rounds.map((x) => x.ratios[key]);
        expect(d[key]).toEqual({ median: middle(perRound), min: Math.min(...perRound), max: Math.max(...perRound) });
      }
      close(m.ratios.prefill_of_peak, m.prefill_flops / m.prefill_s / 1e9 / m.alongside.fma_gflops);
      close(m.ratios.prefill_of_peak_per_cpu_s, m.prefill_flops / m.prefill_cpu_s / 1e9 / (m.alongside.fma_gflops / m.threads));
    }
  }, 120_000);
});

describe('the counts behind the ratios', () => {
  // GPT-J 6B (GUIDE.md: 6,050,882,784 parameters): all but the 206,438,400 of wte are read per token, the
  // 861,408 bias and LayerNorm values as f32 and the rest in the dtype.
  const gptj6b = { n_layer: 28, n_embd: 4096, n_inner: 16384, vocab_size: 50400, n_positions: 2048 };
  it('weight bytes per decode step of GPT-J 6B, f16', () => {
    const vectors = 861_408;
    expect(weightBytesPerToken(gptj6b, 'f16')).toBe(2 * (6_050_882_784 - 206_438_400 - vectors) + 4 * vectors);
  });
  it('prefill FLOPs of one token: 2 per multiply-add of every matrix, plus q.k and the v sum over one position', () => {
    const matrices = 6_050_882_784 - 206_438_400 - 861_408; // blocks' matrices and lm_head
    expect(prefillFlops(gptj6b, 1)).toBe(2 * matrices + 28 * 2 * 2 * 4096);
  });
});
