// The token chunks of a streamed generation as SSE templates (sse.ts), built once per generated row: a row streams to
// one output index, or (greedy siblings) to all n (siblings.ts streamIndices).
import { type SiblingPlan, streamIndices } from './siblings.js';
import { SseTemplate } from './sse.js';

/** Row r's templates (one per output index it streams to), `chunkAt(index)` holding SSE_SLOT where the text goes. */
export function tokenChunkTemplates(plan: SiblingPlan, chunkAt: (index: number) => unknown): (row: number) => readonly SseTemplate[] {
  const rows: SseTemplate[][] = [];
  return (row) => (rows[row] ??= streamIndices(row, plan).map((index) => new SseTemplate(chunkAt(index))));
}
