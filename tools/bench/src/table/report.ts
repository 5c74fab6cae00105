// The bench table's JSON: the figures measured in one run, and every ratio derived from figures stored beside
// it (derive), so a reader (and report.test.ts) can recompute each one. Formatting for the terminal: formatTable.
import type { FloorFigures } from './floor.js';
import { type DerivedRounds, type ProbeFigures, deriveRounds, formatSpread } from './floor-rounds.js';
import type { ModelRunFigures } from './model-run.js';
import type { PeakFigures } from './peak.js';
import type { SourceState } from './source-state.js';
import { type MatrixDType, type SmallMFigures, matrixBytes } from './small-m.js';

export interface ModelEntry extends Omit<ModelRunFigures, 'decode_rounds'> {
  /** Measured right before this dtype's run: the FMA ceiling (GFLOP/s). */
  alongside: { fma_gflops: number };
  weight_bytes_per_token: number;
  prefill_flops: number;
  /** The decode rounds (each its probe, step times and ratios against that probe) and their spread. */
  decode: DerivedRounds;
  ratios: {
    /** prefill_flops / prefill_s over alongside.fma_gflops (wall clock: other processes' use of the cores counts against it). */
    prefill_of_peak: number;
    /** prefill_flops / prefill_cpu_s over alongside.fma_gflops / threads: the same per CPU-second the run got. */
    prefill_of_peak_per_cpu_s: number;
  };
}
export interface SmallMEntry extends SmallMFigures {
  ratios: {
    /** gemv_rows_ms / gemm_ms: above 1, the GEMM beats the 4-row GEMVs. */
    gemv_rows_over_gemm: number;
    /** (weight_bytes / floor.best_gb_s) / gemm_ms: 1 = the GEMM reads W at the floor. */
    gemm_of_floor: number;
  };
}
export interface BenchReport {
  run: { started: string; cpu: string; threads: number; model: string; generated: boolean; command: string; source: SourceState };
  floor: FloorFigures & { ratios: { probe_vs_c_reader?: number } };
  peak: PeakFigures & { ratios: { gemm_cached_of_peak: number; gemm_cached_of_peak_per_cpu_s: number } };
  small_m: SmallMEntry[];
  models: ModelEntry[];
}

const DTYPE: Record<string, MatrixDType> = { f16: 'f16', int8: 'q8', q8: 'q8', q4: 'q4' };

/** Weights one decode step reads: every matrix in the dtype (see matrixBytes), biases and norms as f32. */
export function weightBytesPerToken(c: ModelRunFigures['config'], dtype: string): number {
  const m = (rows: number, cols: number) => matrixBytes(DTYPE[dtype] ?? 'f16', rows, cols);
  const d = c.n_embd,
    ff = c.n_inner;
  const layer = 4 * m(d, d) + m(ff, d) + m(d, ff) + 4 * (2 * d + ff + d); // ln_1, fc_in and fc_out biases
  return c.n_layer * layer + m(c.vocab_size, d) + 4 * (c.vocab_size + 2 * d);
}

/**
 * FLOPs of a T-token prefill that returns the last position's logits: 2 per weight per token in the blocks'
 * matrices, the lm_head once, and causal attention (q.k and the weighted sum of v over T(T+1)/2 pairs, 2 FLOPs
 * per multiply-add, n_embd wide).
 */
export function prefillFlops(c: ModelRunFigures['config'], T: number): number {
  const d = c.n_embd,
    ff = c.n_inner;
  return c.n_layer * (2 * T * (4 * d * d + 2 * d * ff) + 2 * T * (T + 1) * d) + 2 * c.vocab_size * d;
}

export function deriveModel({ decode_rounds, ...f }: ModelRunFigures, alongside: ModelEntry['alongside']): ModelEntry {
  const bytes = weightBytesPerToken(f.config, f.dtype),
    flops = prefillFlops(f.config, f.prompt_tokens);
  return {
    ...f,
    alongside,
    weight_bytes_per_token: bytes,
    prefill_flops: flops,
    decode: deriveRounds(decode_rounds, bytes),
    ratios: {
      prefill_of_peak: flops / f.prefill_s / 1e9 / alongside.fma_gflops,
      prefill_of_peak_per_cpu_s: flops / f.prefill_cpu_s / 1e9 / (alongside.fma_gflops / f.threads),
    },
  };
}

export function deriveSmallM(f: SmallMFigures, floor: FloorFigures): SmallMEntry {
  return {
    ...f,
    ratios: { gemv_rows_over_gemm: f.gemv_rows_ms / f.gemm_ms, gemm_of_floor: (f.weight_bytes / (floor.best_gb_s * 1e9) / f.gemm_ms) * 1e3 },
  };
}

export function deriveFloor(f: FloorFigures): BenchReport['floor'] {
  return { ...f, ratios: 'best_gb_s' in f.c_reader ? { probe_vs_c_reader: f.best_gb_s / f.c_reader.best_gb_s } : {} };
}

export function derivePeak(p: PeakFigures): BenchReport['peak'] {
  return { ...p, ratios: { gemm_cached_of_peak: p.gemm_cached_gflops / p.fma_gflops, gemm_cached_of_peak_per_cpu_s: p.gemm_cached_cpu_gflops / p.fma_gflops } };
}

const f1 = (v: number) => v.toFixed(1);
const pct = (v: number) => `${(100 * v).toFixed(0)}%`;
const spreadGbs = (xs: number[]) => `${f1(Math.min(...xs))}-${f1(Math.max(...xs))}`;

export function formatTable(r: BenchReport): string {
  const rows: string[][] = [];
  const section = (title: string) => rows.push([`-- ${title}`]);
  section(`floor: read bandwidth, ${r.floor.buffer_mib} MiB, best / median of the passes (GB/s)`);
  for (const m of r.floor.methods)
    rows.push([`read ${m.name}`, m.huge_pages ? 'huge pages' : 'default pages', `${f1(m.best_gb_s)} / ${f1(m.median_gb_s)}`, '']);
  const c = r.floor.c_reader;
  rows.push(['C reference reader', 'huge pages', 'best_gb_s' in c ? `${f1(c.best_gb_s)} / ${f1(c.median_gb_s)}` : c.skipped, '']);
  const check = r.floor.ratios.probe_vs_c_reader;
  rows.push([
    'floor',
    r.floor.best_method,
    `${f1(r.floor.best_gb_s)} best`,
    check === undefined ? 'no C reader' : `probe / C reader ${check.toFixed(2)} ${check >= 0.9 ? '(ok, >= 0.90)' : '(BELOW 0.90)'}`,
  ]);
  const p = r.peak;
  section(`compute ceiling, ${r.run.threads} threads, ${p.isa} (GFLOP/s; per-thread CPU time)`);
  rows.push(['FMA peak', 'register-resident FMA chains', f1(p.fma_gflops), 'the peak ratios below use this']);
  if (p.cvt_gelems !== undefined) rows.push(['f16 -> f32 conversion', 'vcvtph2ps from L1', `${f1(p.cvt_gelems)} G/s`, '']);
  if (p.tile_gflops !== undefined)
    rows.push(['f16 tile ceiling', '4 cvt + 6 loads + 24 FMA in registers', f1(p.tile_gflops), pct(p.tile_gflops / p.fma_gflops)]);
  rows.push([
    'our GEMM, cache-resident',
    'x[120,512] W[1024,512] f16',
    `${f1(p.gemm_cached_gflops)} wall, ${f1(p.gemm_cached_cpu_gflops)} per CPU-s x threads`,
    `${pct(p.ratios.gemm_cached_of_peak)} of peak (wall), ${pct(p.ratios.gemm_cached_of_peak_per_cpu_s)} per CPU-second`,
  ]);
  section('small-M GEMM (ms, median): one linear over M rows vs 4-row GEMVs, vs the floor');
  for (const s of r.small_m)
    rows.push([
      `${s.dtype} M=${s.M} [${s.N},${s.K}]`,
      s.role,
      `${s.gemm_ms.toFixed(2)} vs ${s.gemv_rows_ms.toFixed(2)}`,
      `GEMM ${s.ratios.gemv_rows_over_gemm.toFixed(2)}x the GEMVs, ${pct(s.ratios.gemm_of_floor)} of floor`,
    ]);
  section(
    'model: per dtype. Decode: rounds of a read probe then steps in the model process, each round against its own ' +
      'probe (median of the rounds, range); prefill: median of runs, against the FMA peak measured right before the dtype',
  );
  for (const m of r.models) {
    const d = m.decode,
      gbs = (pick: (p: ProbeFigures) => number) => spreadGbs(d.rounds.map((x) => pick(x.probe)));
    rows.push([
      `${m.dtype} decode`,
      `${f1(d.step_ms_median)} ms/token (median of ${m.decode_plan.rounds} x ${m.decode_plan.steps} steps)`,
      `probe median ${gbs((p) => p.median_gb_s)} GB/s`,
      `median step vs probe median: ${formatSpread(d.median_of_floor)} of floor`,
    ]);
    rows.push([
      `${m.dtype} decode, fastest`,
      `${f1(Math.min(...d.rounds.flatMap((x) => x.step_ms)))} ms fastest step`,
      `probe best ${gbs((p) => p.best_gb_s)} GB/s`,
      `fastest step vs probe best: ${formatSpread(d.best_of_floor)} of floor`,
    ]);
    rows.push([
      `${m.dtype} prefill ${m.prompt_tokens}`,
      `${(m.prompt_tokens / m.prefill_s).toFixed(1)} tok/s, ${f1(m.prefill_flops / m.prefill_s / 1e9)} GFLOP/s`,
      // q4's prefill multiplies int8 (x rounded) by its codes with vpdpbusd where the CPU has AVX-512 VNNI: four
      // multiply-adds per 32-bit lane, so it may pass the f32 FMA peak that the other dtypes are held to
      `peak ${f1(m.alongside.fma_gflops)}${m.dtype === 'q4' ? ' (f32 FMA; q4 may pass it: int8 dot products)' : ''}`,
      `${pct(m.ratios.prefill_of_peak)} of peak (wall), ${pct(m.ratios.prefill_of_peak_per_cpu_s)} per CPU-second (${pct(m.prefill_sys_s / m.prefill_cpu_s)} of it system)`,
    ]);
    rows.push([
      `${m.dtype} memory`,
      `peak RSS ${(m.peak_rss_bytes / 2 ** 30).toFixed(2)} GiB`,
      `load ${m.load_s.toFixed(2)} s`,
      m.mmap ? 'mapped file' : 'read into memory (--no-mmap)',
    ]);
  }
  const widths = [0, 1, 2, 3].map((col) => Math.max(...rows.filter((row) => row.length > 1).map((row) => (row[col] ?? '').length)));
  return rows
    .map((row) =>
      row.length === 1
        ? row[0]
        : row
            .map((cell, i) => cell.padEnd(widths[i] ?? 0))
            .join('  ')
            .trimEnd(),
    )
    .join('\n');
}
