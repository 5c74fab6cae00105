import { topKIndices } from './select.js';
import { Scratch } from './processors/softmax-stats.js';

// Beam search with the semantics of Hugging Face transformers 5.x `_beam_search` (do_sample=False), for one prompt.
// HF keeps, per prompt, `numBeams` running beams and `numBeams` finished slots, and uses a -1e9 additive
// penalty to exclude candidates; the same arithmetic is kept here so that scores and tie-breaks match its output.

/** -1e9 is HF's "excluded" score: added, never compared against -Infinity. */
const EXCLUDED = -1.0e9;

export type EarlyStopping = boolean | 'never';

export interface BeamSearchOptions {
  numBeams: number;
  /** Generated tokens at most (HF max_new_tokens). */
  maxNewTokens: number;
  eosTokenIds: readonly number[];
  /** Finished scores are sum(logprobs) / length ** lengthPenalty (length counts the generated tokens, EOS included). */
  lengthPenalty: number;
  /** true: stop once numBeams hypotheses are finished; false: stop when no running beam can beat the worst
   * finished one at the current length; 'never': same, at the best length still possible. */
  earlyStopping: EarlyStopping;
}

export interface BeamHypothesis {
  /** Generated tokens (EOS included when the hypothesis ended with it). */
  readonly tokens: readonly number[];
  /** Length-normalised log-probability (HF sequence_scores). */
  readonly score: number;
}

interface Slot {
  tokens: number[];
  score: number;
  finished: boolean;
}

export class BeamSearch {
  /** Running beams, best first; `running[k].tokens` is beam k's generated tokens so far. */
  running: { tokens: number[]; score: number }[];
  /** No further step can change the result. */
  done = false;
  private slots: Slot[];
  private improvementPossible = true;
  private generated = 0;
  private readonly scratch = new Scratch();

  constructor(readonly options: BeamSearchOptions) {
    const { numBeams } = options;
    if (!(Number.isInteger(numBeams) && numBeams >= 1)) throw new RangeError(`numBeams must be an integer >= 1, got ${numBeams}`);
    // all beams start as the prompt; only the first may expand, or step one would pick numBeams copies of one token
    this.running = Array.from({ length: numBeams }, (_, k) => ({ tokens: [], score: k === 0 ? 0 : EXCLUDED }));
    this.slots = Array.from({ length: numBeams }, () => ({ tokens: [], score: EXCLUDED, finished: false }));
  }

  /**
   * One step. logprobs[k] is running beam k's processed log-probabilities over the vocabulary (Float32Array [V]).
   * Returns `parents`: the new running beam k continues old beam parents[k] (its last token is new); the caller
   * reorders its KV cache with it.
   */
  step(logprobs: readonly Float32Array[]): number[] {
    const { numBeams: nb, eosTokenIds, lengthPenalty, earlyStopping, maxNewTokens } = this.options;
    if (this.done) throw new Error('BeamSearch.step after done');
    const V = logprobs[0]!.length;
    const keep = Math.max(2, 1 + eosTokenIds.length) * nb;

    // top `keep` continuations over all (beam, token) pairs by accumulated log-probability, ties lower flat index first
    const perBeam = this.scratch.int32(keep);
    const cands: { beam: number; token: number; score: number; hit: boolean }[] = [];
    const length = this.generated + 1;
    for (let k = 0; k < nb; k++) {
      const n = topKIndices(logprobs[k]!, Math.min(keep, V), perBeam, this.scratch.float32(V));
      for (let j = 0; j < n; j++) {
        const token = perBeam[j]!;
        const score = this.running[k]!.score + logprobs[k]![token]!;
        cands.push({ beam: k, token, score, hit: eosTokenIds.includes(token) || length >= maxNewTokens });
      }
    }
    cands.sort((a, b) => b.score - a.score || a.beam * V + a.token - (b.beam * V + b.token));
    cands.length = Math.min(cands.length, keep);

    // next running beams: the best candidates that did not finish (finished ones get the exclusion penalty)
    const runningOrder = cands
      .map((c, i) => ({ c, i, value: c.score + (c.hit ? EXCLUDED : 0) }))
      .sort((a, b) => b.value - a.value || a.i - b.i)
      .slice(0, nb);
    const parents = runningOrder.map((r) => r.c.beam);
    const nextRunning = runningOrder.map((r) => ({ tokens: [...this.running[r.c.beam]!.tokens, r.c.token], score: r.value }));

    // finished slots: merge the best numBeams candidates that finished (length-normalised) with the existing slots
    const allFinished = this.slots.every((s) => s.finished);
    const merged: Slot[] = [...this.slots];
    cands.forEach((c, i) => {
      const finished = c.hit && i < nb;
      let value = c.score / length ** lengthPenalty;
      if (earlyStopping === true && allFinished) value += EXCLUDED;
      if (!this.improvementPossible) value += EXCLUDED;
      if (!finished) value += EXCLUDED;
      merged.push({ tokens: [...this.running[c.beam]!.tokens, c.token], score: value, finished });
    });
    this.slots = merged
      .map((s, i) => ({ s, i }))
      .sort((a, b) => b.s.score - a.s.score || a.i - b.i)
      .slice(0, nb)
      .map((e) => e.s);

    this.running = nextRunning;
    this.generated = length;

    // can a running beam still beat the worst finished hypothesis?
    const bestLength = earlyStopping === 'never' && lengthPenalty > 0 ? maxNewTokens : this.generated;
    const bestPossible = this.running[0]!.score / bestLength ** lengthPenalty;
    const worstSlot = Math.min(...this.slots.map((s) => s.score));
    this.improvementPossible &&= this.slots.some((s) => bestPossible > (s.finished ? worstSlot : EXCLUDED));
    const slotsFull = earlyStopping === true && this.slots.every((s) => s.finished);
    const allHit = cands.every((c) => c.hit);
    this.done = !this.improvementPossible || slotsFull || allHit;
    return parents;
  }

  /** Finished hypotheses, best first. */
  results(): BeamHypothesis[] {
    return this.slots.filter((s) => s.finished).map((s) => ({ tokens: s.tokens, score: s.score }));
  }
}
