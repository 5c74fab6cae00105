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
const positive = (v: unknown) => expect(typeof v === 'number' && Number.isFinite(v) && v > 0, String(v)).toBe(true);

describe('pnpm bench --tiny', () => {
  it('writes the one-table JSON, each ratio computed from figures of the same run', () => {
    const json = join(dir, 'bench.json');
    const bench = fileURLToPath(new URL('../dist/bench.js', import.meta.url));
    const out = execFileSync(process.execPath, [bench, '--tiny', '--json', json], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toContain(`JSON: ${json}`);
    expect(out).toMatch(/random GPT-J written for this run/);
    const r = JSON.parse(readFileSync(json, 'utf8')) as BenchReport;

    expect(r.run.generated).toBe(true);
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
      [m.load_s, m.prefill_s, m.prefill_cpu_s, m.decode_s_per_token, m.peak_rss_bytes, m.alongside.floor_gb_s, m.alongside.fma_gflops].forEach(positive);
      expect(m.weight_bytes_per_token).toBe(weightBytesPerToken(m.config, m.dtype));
      expect(m.prefill_flops).toBe(prefillFlops(m.config, m.prompt_tokens));
      close(m.ratios.decode_of_floor, m.weight_bytes_per_token / (m.alongside.floor_gb_s * 1e9) / m.decode_s_per_token);
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
