// Decode steps against a floor measured beside them (issue 16). This host's read bandwidth swings about 2x from
// one minute to the next (47-96 GB/s at 2 threads), so a floor probed once, seconds before the model even loads,
// can put the same decode at 50% or 126% of it. Here a short read probe (@gptj/tensor's probeReadBandwidth, in
// the decoding process, on its threads) and a few timed decode steps alternate over several rounds, and each
// round's steps are compared with that round's probe only, like with like:
// - median step against the probe's median (the median pass of the round's best read method);
// - fastest step against the probe's best pass (a max over methods and passes against a min over steps).
// The JSON keeps every round (probe and step times), and the ratios are derived from them (roundRatios).

import { probeReadBandwidth } from '@gptj/tensor';

import { median } from './median.js';

export interface ProbeFigures {
  /** The read method whose pass was the best this round, e.g. "avx512-ntload, huge pages". */
  method: string;
  best_gb_s: number;
  /** Median pass of that method. */
  median_gb_s: number;
}
export interface FloorRound {
  probe: ProbeFigures;
  /** Wall ms of each timed step of the round, in order. */
  step_ms: number[];
}
export interface RoundsPlan {
  rounds: number;
  steps: number;
  /** Bytes the probe reads (two buffers of half: huge and default pages) and its timed passes per method. */
  probe_bytes: number;
  probe_passes: number;
}

/** `plan.rounds` times: probe, then `plan.steps` calls of `step`, each timed. */
export async function alternateWithProbe(plan: RoundsPlan, step: () => Promise<unknown>): Promise<FloorRound[]> {
  const out: FloorRound[] = [];
  for (let r = 0; r < plan.rounds; r++) {
    const p = probeReadBandwidth(plan.probe_bytes, plan.probe_passes);
    const step_ms: number[] = [];
    for (let i = 0; i < plan.steps; i++) {
      const t0 = performance.now();
      await step();
      step_ms.push(performance.now() - t0);
    }
    out.push({ probe: { method: p.method, best_gb_s: p.best / 1e9, median_gb_s: p.median / 1e9 }, step_ms });
  }
  return out;
}

export interface RoundRatios {
  /** (bytes at the probe's median) / median step: 1 = the typical step reads at the typical bandwidth. */
  median_of_floor: number;
  /** (bytes at the probe's best) / fastest step: 1 = the best step reads at the best pass. */
  best_of_floor: number;
}
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** A round's ratios for a step that reads `bytes` of weights. */
export function roundRatios(round: FloorRound, bytes: number): RoundRatios {
  const floorMs = (gbs: number) => (bytes / (gbs * 1e9)) * 1e3;
  return {
    median_of_floor: floorMs(round.probe.median_gb_s) / median(round.step_ms),
    best_of_floor: floorMs(round.probe.best_gb_s) / Math.min(...round.step_ms),
  };
}

export const spread = (xs: readonly number[]): Spread => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

export interface DerivedRounds {
  rounds: (FloorRound & { ratios: RoundRatios })[];
  /** Median of every step of every round, ms. */
  step_ms_median: number;
  /** Over the rounds: the median of their ratios and the range. */
  median_of_floor: Spread;
  best_of_floor: Spread;
}

export function deriveRounds(rounds: readonly FloorRound[], bytes: number): DerivedRounds {
  const withRatios = rounds.map((r) => ({ ...r, ratios: roundRatios(r, bytes) }));
  return {
    rounds: withRatios,
    step_ms_median: median(rounds.flatMap((r) => r.step_ms)),
    median_of_floor: spread(withRatios.map((r) => r.ratios.median_of_floor)),
    best_of_floor: spread(withRatios.map((r) => r.ratios.best_of_floor)),
  };
}

const pct = (v: number) => `${(100 * v).toFixed(0)}%`;
/** "85% (80-90%)": the median of the rounds' ratios and their range. */
export const formatSpread = (s: Spread) => `${pct(s.median)} (${pct(s.min)}-${pct(s.max)})`;
