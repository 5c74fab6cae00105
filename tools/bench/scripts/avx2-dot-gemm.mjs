// linear's AVX2 GEMMs at small M (issue 16's small-M table, on the AVX2 kernels): the dot-product GEMM
// (gemm_dot_avx2.cpp) and the packed GEMM, each against the same rows as 4-row AVX2 GEMVs, on the 6B fc_in
// shape with random weights. GPTJ_CPU_ISA and GPTJ_GEMM are read once per process, so each round runs two
// child processes one after the other, GPTJ_CPU_ISA=avx2 with and without GPTJ_GEMM=packed, and each child
// alternates its GEMM with the GEMVs (table/small-m.js measureSmallM: medians of --reps).
// q4 does not take the AVX2 dot GEMM (linear.cpp), so it is not a default dtype here.
//   node scripts/avx2-dot-gemm.mjs [--rows 5,8,16,64] [--dtypes f16,q8] [--rounds 3] [--reps 3] [--k 4096] [--n 16384]
// Prints per dtype and M the medians over rounds of: GEMV rows time / dot GEMM time, GEMV rows / packed GEMM, and
// their quotient in each round, packed / dot (above 1: the dot GEMM is faster).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '5,8,16,64' },
    dtypes: { type: 'string', default: 'f16,q8' },
    rounds: { type: 'string', default: '3' },
    reps: { type: 'string', default: '3' },
    k: { type: 'string', default: '4096' },
    n: { type: 'string', default: '16384' },
    child: { type: 'boolean', default: false },
  },
});
const rows = values.rows.split(',').map(Number),
  dtypes = values.dtypes.split(',');
const [K, N, reps] = [values.k, values.n, values.reps].map(Number);

if (values.child) {
  const { measureSmallM } = await import('../dist/table/small-m.js');
  const out = [];
  for (const dtype of dtypes) for (const M of rows) out.push(measureSmallM({ dtype, M, K, N, role: 'fc_in' }, reps));
  process.stdout.write(JSON.stringify(out));
} else {
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const self = fileURLToPath(import.meta.url);
  const run = (env) =>
    JSON.parse(
      execFileSync(process.execPath, [self, ...process.argv.slice(2), '--child'], { env: { ...process.env, GPTJ_CPU_ISA: 'avx2', ...env }, encoding: 'utf8' }),
    );
  const ratios = new Map(); // `${dtype} ${M}` -> { dot: [], packed: [], packedOverDot: [] }
  for (let r = 0; r < Number(values.rounds); r++) {
    const dot = run({}),
      packed = run({ GPTJ_GEMM: 'packed' });
    dot.forEach((d, i) => {
      const p = packed[i],
        key = `${d.dtype} ${d.M}`;
      if (!ratios.has(key)) ratios.set(key, { dot: [], packed: [], packedOverDot: [] });
      const e = ratios.get(key);
      e.dot.push(d.gemv_rows_ms / d.gemm_ms);
      e.packed.push(p.gemv_rows_ms / p.gemm_ms);
      // each GEMM over the GEMVs of its own process, so the two processes' loads cancel
      e.packedOverDot.push(p.gemm_ms / p.gemv_rows_ms / (d.gemm_ms / d.gemv_rows_ms));
    });
    process.stderr.write(
      `round ${r + 1}: ${JSON.stringify(dot.map((d, i) => [d.dtype, d.M, d.gemm_ms, d.gemv_rows_ms, packed[i].gemm_ms, packed[i].gemv_rows_ms].map((v) => (typeof v === 'number' ? +v.toFixed(2) : v))))}\n`,
    );
  }
  console.log(`W [${N}, ${K}], GPTJ_CPU_ISA=avx2, ${values.rounds} rounds; medians of: 4-row GEMVs / dot GEMM, 4-row GEMVs / packed GEMM, packed / dot`);
  for (const [key, e] of ratios)
    console.log(
      `${key.padEnd(8)} gemv/dot ${median(e.dot).toFixed(2)}  gemv/packed ${median(e.packed).toFixed(2)}  packed/dot ${median(e.packedOverDot).toFixed(2)}`,
    );
}
