import type { EarlyStopping } from './beam-search.js';
import type { ResolvedOptions } from './options.js';

/** How tokens are chosen: a closed union, resolved once from the options. */
export type DecodingStrategy =
  | { kind: 'greedy' }
  /** `seed`: row r uses stream r of it; `seeds`: row r uses stream 0 of seeds[r]. */
  | { kind: 'multinomial'; seed: number | readonly number[] }
  | { kind: 'beam'; numBeams: number; lengthPenalty: number; earlyStopping: EarlyStopping; numReturnSequences: number };

export function decodingStrategy(o: ResolvedOptions): DecodingStrategy {
  if (o.numBeams > 1) {
    return { kind: 'beam', numBeams: o.numBeams, lengthPenalty: o.lengthPenalty, earlyStopping: o.earlyStopping, numReturnSequences: o.numReturnSequences };
  }
  if (o.doSample === false || o.temperature === 0) return { kind: 'greedy' };
  return { kind: 'multinomial', seed: o.seed };
}
