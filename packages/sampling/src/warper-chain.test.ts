import { readFixtureF32 } from '@gptj/test-fixtures';
import { describe, expect, it } from 'vitest';
import { MinPProcessor } from './processors/min-p.js';
import { TemperatureProcessor } from './processors/temperature.js';
import { TopKProcessor } from './processors/top-k.js';
import { TopPProcessor } from './processors/top-p.js';
import { TypicalPProcessor } from './processors/typical-p.js';
import { LogitsProcessorList, type LogitsProcessor } from './processors/types.js';
import { WarperChain } from './warper-chain.js';

const ctx = { ids: [], promptLength: 0 };

/** The chain's candidates written back into a full row (-Infinity elsewhere). */
function chainRow(warpers: LogitsProcessor[], row: Float32Array): Float32Array {
  const { scores, ids } = new WarperChain(warpers).run(row.slice(), ctx);
  if (!ids) return scores;
  const out = new Float32Array(row.length).fill(-Infinity);
  ids.forEach((id, j) => (out[id] = scores[j]!));
  return out;
}

/** The same processors applied one after another to the whole row. */
function listRow(warpers: LogitsProcessor[], row: Float32Array): Float32Array {
  const out = row.slice();
  new LogitsProcessorList(warpers).process(out, ctx);
  return out;
}

function wideRow(seed: number): Float32Array {
  const row = new Float32Array(50400);
  let x = seed;
  for (let i = 0; i < row.length; i++) {
    x = Math.imul(x ^ (x >>> 15), 2246822507) + 0x9e3779b9;
    row[i] = (((x >>> 0) % 4000) - 2000) / 200; // 4000 distinct values: ties everywhere
  }
  return row;
}

describe('WarperChain (compaction and the fused temperature + top-k path) equals the processors applied in turn', () => {
  const fixture = readFixtureF32('sampling-refs', 'processors', 'scores_in.f32');
  const rows = [wideRow(1), wideRow(2), fixture.slice(0, 512), fixture.slice(512, 1024), fixture.slice(1024)];
  const chains: [string, () => LogitsProcessor[]][] = [
    ['top-k 1', () => [new TopKProcessor(1)]],
    ['temperature 0.7, top-k 50', () => [new TemperatureProcessor(0.7), new TopKProcessor(50)]],
    ['temperature 3, top-k 10, top-p 0.8', () => [new TemperatureProcessor(3), new TopKProcessor(10), new TopPProcessor(0.8)]],
    [
      'temperature 1.3, top-k 40 (keep 45), min-p 0.1, typical 0.9',
      () => [new TemperatureProcessor(1.3), new TopKProcessor(40, 45), new MinPProcessor(0.1), new TypicalPProcessor(0.9)],
    ],
    ['temperature 0.9, top-p 0.5 (no top-k: generic path)', () => [new TemperatureProcessor(0.9), new TopPProcessor(0.5)]],
    ['top-k 20000 (too many survivors: plain path)', () => [new TopKProcessor(20000)]],
  ];
  for (const [name, make] of chains) {
    it(name, () => {
      for (const row of rows) expect([...chainRow(make(), row)]).toEqual([...listRow(make(), row)]);
    });
  }

  it('fused path: scores a float apart that division rounds together are kept as HF keeps them', () => {
    // 64 consecutive float32 values from 1.6, plus noise far below: x / 3 lands in [0.5, 1), where float32 spacing
    // is coarser than (input spacing) / 3, so dividing merges neighbours
    const row = new Float32Array(4096).fill(-5);
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    f[0] = 1.6;
    for (let i = 0; i < 64; i++) {
      row[100 + i * 7] = f[0]!;
      u[0]! += 1;
    }
    let extra = 0;
    for (const k of [1, 2, 3, 5, 6, 17, 40]) {
      const make = () => [new TemperatureProcessor(3), new TopKProcessor(k)];
      const got = chainRow(make(), row);
      expect([...got]).toEqual([...listRow(make(), row)]);
      extra += got.filter((v) => v !== -Infinity).length - k;
    }
    expect(extra).toBeGreaterThan(0); // some k-th value merged with a neighbour below it: the case is exercised
  });
});
