// Timing of the non-GEMM ops at GPT-J 6B sizes (node bench/ops.mjs [threads]); prints ms per call
// and the effective bandwidth/throughput. Build first (pnpm build).
import { Tensor, attention, cast, embedding, gelu, layerNorm, rotary, setNumThreads, softmax, getNumThreads, kvWrite } from '../dist/index.js';

if (process.argv[2]) setNumThreads(Number(process.argv[2]));
const rand = (n) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
function time(name, fn, bytes, flops) {
  fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 400 || n < 3) {
    fn()?.dispose?.();
    n++;
  }
  const ms = (performance.now() - t0) / n;
  const extra = [bytes ? `${(bytes / ms / 1e6).toFixed(1)} GB/s` : '', flops ? `${(flops / ms / 1e6).toFixed(1)} GFLOP/s` : ''].join(' ');
  console.log(`${name.padEnd(44)} ${ms.toFixed(3).padStart(9)} ms  ${extra}`);
}

console.log(`threads: ${getNumThreads()}`);
const [H, D, Tmax] = [16, 256, 2048];
const k = Tensor.fromArray(rand(H * Tmax * D), [1, H, Tmax, D]);
const v = Tensor.fromArray(rand(H * Tmax * D), [1, H, Tmax, D]);
for (const L of [128, 1024, 2048]) {
  const q = Tensor.fromArray(rand(H * D), [1, 1, H, D]);
  time(`attention decode T=1 kvLength=${L}`, () => attention(q, k, v, { kvLength: L }), 2 * H * L * D * 4);
}
const qp = Tensor.fromArray(rand(512 * H * D), [1, 512, H, D]);
time('attention prefill T=512 kvLength=512', () => attention(qp, k, v, { kvLength: 512 }), 0, (2 * 2 * H * D * 512 * 513) / 2);
time('kvWrite T=512', () => kvWrite(k, qp, 0), 2 * 512 * H * D * 4);
const pos = Tensor.fromArray(
  Int32Array.from({ length: 512 }, (_, i) => i),
  [1, 512],
);
time('rotary [1,512,16,256] rd=64', () => rotary(qp, pos, { rotaryDim: 64, style: 'interleaved' }), 2 * qp.size * 4);
const x = Tensor.fromArray(rand(512 * 4096), [512, 4096]);
const g = Tensor.fromArray(rand(4096), [4096], { dtype: 'f16' });
time('layerNorm [512,4096]', () => layerNorm(x, g, g, 1e-5), 2 * x.size * 4);
const x1 = Tensor.fromArray(rand(4096), [1, 4096]);
time('layerNorm [1,4096]', () => layerNorm(x1, g, g, 1e-5), 2 * x1.size * 4);
const m = Tensor.fromArray(rand(512 * 16384), [512, 16384]);
time('gelu tanh [512,16384]', () => gelu(m, 'tanh'), 2 * m.size * 4);
const lg = Tensor.fromArray(rand(4 * 50400), [4, 50400]);
time('softmax [4,50400]', () => softmax(lg), 2 * lg.size * 4);
time('cast f32->f16 [512,16384]', () => cast(m, 'f16'), m.size * 6);
const h = cast(m, 'f16');
time('cast f16->f32 [512,16384]', () => cast(h, 'f32'), m.size * 6);
time('cast f32->q8 [512,16384]', () => cast(m, 'q8'), m.size * 5);
const wte = Tensor.fromArray(rand(50400 * 256), [50400, 256], { dtype: 'f16' });
const ids = Tensor.fromArray(
  Int32Array.from({ length: 2048 }, (_, i) => (i * 7919) % 50400),
  [1, 2048],
);
time('embedding f16 [50400,256] x 2048 ids', () => embedding(wte, ids), 2048 * 256 * 6);
