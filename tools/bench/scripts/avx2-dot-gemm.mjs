// linear's AVX2 GEMMs at small M (issue 16's small-M table, on the AVX2 kernels): the dot-product GEMM
// (gemm_dot_avx2.cpp) and the packed GEMM, each against the same rows as 4-row AVX2 GEMVs, on the 6B fc_in
// shape with random weights. GPTJ_CPU_ISA and GPTJ_GEMM are read once per process, so each round runs two
// child processes one after the other, GPTJ_CPU_ISA=avx2 with and without GPTJ_GEMM=packed, and each child
// alternates its GEMM with the GEMVs, --reps times after a warm-up, timing each by the wall clock and by the
// process's CPU time. q4 does not take the AVX2 dot GEMM (linear.cpp), so it is not a default dtype here.
//   node scripts/avx2-dot-gemm.mjs [--rows 5,8,16,64] [--dtypes f16,q8] [--rounds 3] [--reps 3] [--threads N]
//                                  [--k 4096] [--n 16384]
// Prints per dtype and M, by wall clock and by CPU time, the medians over rounds of: GEMV rows time / dot GEMM
// time, GEMV rows / packed GEMM, and their quotient in each round, packed / dot (above 1: the dot GEMM is faster).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { median } from '../dist/table/median.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '5,8,16,64' },
    dtypes: { type: 'string', default: 'f16,q8' },
    rounds: { type: 'string', default: '3' },
    reps: { type: 'string', default: '3' },
    threads: { type: 'string' },
    k: { type: 'string', default: '4096' },
    n: { type: 'string', default: '16384' },
    child: { type: 'boolean', default: false },
  },
});
const rows = values.rows.split(',').map(Number),
  dtypes = values.dtypes.split(',');
const [K, N, reps] = [values.k, values.n, values.reps].map(Number);

/** Median ms of `gemm` and of `gemv` (called alternately), by the wall clock and by CPU time. */
function alternate(gemm, gemv) {
  const t = { gemm: { wall: [], cpu: [] }, gemv: { wall: [], cpu: [] } };
  for (let r = 0; r <= reps; r++)
    for (const [name, f] of [
      ['gemm', gemm],
      ['gemv', gemv],
    ]) {
      const c0 = process.cpuUsage(),
        t0 = process.hrtime.bigint();
      f();
      const c = process.cpuUsage(c0);
      if (r === 0) continue; // warm-up: first touch of the output buffers, pool wake-up
      t[name].wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
      t[name].cpu.push((c.user + c.system) / 1e3);
    }
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { wall: median(v.wall), cpu: median(v.cpu) }]));
}

if (values.child) {
  const { Tensor, linear, slice } = await import('@gptj/tensor');
  const { randomArray } = await import('../dist/table/random.js');
  const out = [];
  for (const dtype of dtypes) {
    const w = Tensor.fromArray(randomArray(N * K, 2, 0.05), [N, K], { dtype });
    for (const M of rows) {
      const x = Tensor.fromArray(randomArray(M * K, 1), [M, K]);
      const groups = Array.from({ length: Math.ceil(M / 4) }, (_, g) => slice(x, 0, 4 * g, Math.min(M, 4 * g + 4)));
      const ms = alternate(
        () => linear(x, w).dispose(),
        () => {
          for (const g of groups) linear(g, w).dispose();
        },
      );
      out.push({ dtype, M, ...ms });
      for (const t of [x, ...groups]) t.dispose();
    }
    w.dispose();
  }
  process.stdout.write(JSON.stringify(out));
} else {
  const self = fileURLToPath(import.meta.url);
  const threads = values.threads === undefined ? {} : { GPTJ_THREADS: values.threads };
  const run = (env) =>
    JSON.parse(
      execFileSync(process.execPath, [self, ...process.argv.slice(2), '--child'], {
        env: { ...process.env, ...threads, GPTJ_CPU_ISA: 'avx2', ...env },
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      }),
    );
  const ratios = new Map(); // `${dtype} ${M} ${clock}` -> { dot: [], packed: [], packedOverDot: [] }
  for (let r = 0; r < Number(values.rounds); r++) {
    const dot = run({ GPTJ_GEMM: '' }),
      packed = run({ GPTJ_GEMM: 'packed' });
    dot.forEach((d, i) => {
      const p = packed[i];
      for (const clock of ['wall', 'cpu']) {
        const key = `${d.dtype} M=${d.M} ${clock}`;
        if (!ratios.has(key)) ratios.set(key, { dot: [], packed: [], packedOverDot: [] });
        const e = ratios.get(key);
        e.dot.push(d.gemv[clock] / d.gemm[clock]);
        e.packed.push(p.gemv[clock] / p.gemm[clock]);
        // each GEMM over the GEMVs of its own process, so the two processes' loads cancel
        e.packedOverDot.push(p.gemm[clock] / p.gemv[clock] / (d.gemm[clock] / d.gemv[clock]));
      }
    });
    process.stderr.write(
      `round ${r + 1} ms (dot, its GEMVs, packed, its GEMVs; wall): ${dot.map((d, i) => `${d.dtype} ${d.M}: ${[d.gemm.wall, d.gemv.wall, packed[i].gemm.wall, packed[i].gemv.wall].map((v) => v.toFixed(1)).join(' ')}`).join(', ')}\n`,
    );
  }
  console.log(
    `W [${N}, ${K}], GPTJ_CPU_ISA=avx2, ${values.threads ?? 'default'} threads, ${values.rounds} rounds; medians of: 4-row GEMVs / dot GEMM, 4-row GEMVs / packed GEMM, packed / dot`,
  );
  const f = (xs) => median(xs).toFixed(2);
  for (const [key, e] of ratios) console.log(`${key.padEnd(16)} gemv/dot ${f(e.dot)}  gemv/packed ${f(e.packed)}  packed/dot ${f(e.packedOverDot)}`);
}
