// The CPU sequence pool's step alone, without the server (node apps/server/bench/pool-step.mjs [rows] [steps]):
// `rows` sequences (default 32) of the bundled mini-code model, each given a 3-token prompt, then `steps` decode steps
// of one token per sequence (default 200; the sequences are replaced every 60 steps so they stay short, as in the
// load bench). Prints the median time of the synchronous call (checks and queueing on the JS thread), of the whole
// step, and the process's CPU per step (every thread). With --skip-logits the decode entries ask for best alone
// (skipLogits, as the Scheduler sends greedy rows), so the pool does not write their logits into `out`.
import { miniCodeDir } from '@gptj/mini-code';
import { loadModel } from '@gptj/model';

const args = process.argv.slice(2);
const skipLogits = args.includes('--skip-logits');
const [rowsArg, stepsArg] = args.filter((a) => !a.startsWith('--'));
const rows = Number(rowsArg ?? 32);
const steps = Number(stepsArg ?? 200);
const model = await loadModel(miniCodeDir, { device: 'cpu', dtype: 'auto', mmap: true });
const pool = model.createSequencePool({ maxSequences: rows });
const V = model.vocabSize;
const out = new Float32Array(rows * V);
const best = new Int32Array(2 * rows);
// GPT-J's padding ids, banned from the greedy pick (the default pipeline's TokenRangeMaskProcessor)
const skip = skipLogits ? { skipLogits: { unlessBestIn: V === 50400 ? [50257, 50400] : [0, 0] } } : {};
let ids = [];
async function fresh() {
  for (const id of ids) pool.remove(id);
  ids = Array.from({ length: rows }, () => pool.add());
  await pool.step(
    ids.map((id, i) => ({ id, ids: [10 + i, 20, 30] })),
    out,
    best,
  );
}
await fresh();
const sync = [];
const total = [];
const cpu0 = process.cpuUsage();
for (let k = 0; k < steps; k++) {
  const t0 = performance.now();
  const stepped = pool.step(
    ids.map((id, i) => ({ id, ids: [100 + ((k * 7 + i) % 1000)], ...skip })),
    out,
    best,
  );
  const t1 = performance.now();
  await stepped;
  total.push(performance.now() - t0);
  sync.push(t1 - t0);
  if (k % 60 === 59) await fresh();
}
const cpu = process.cpuUsage(cpu0);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(
  `${rows} rows${skipLogits ? ' (skipLogits)' : ''}: step ${median(total).toFixed(3)} ms (synchronous part ${median(sync).toFixed(3)} ms), CPU ${((cpu.user + cpu.system) / 1000 / steps).toFixed(3)} ms per step (every thread, the refills included)`,
);
pool.dispose();
model.dispose();
