#!/usr/bin/env node
// GPU benchmark of the @gptj/tensor CUDA runner on a GPT-J 6B-shaped model with random weights made
// on the device. Measures the device read bandwidth first, then:
//   fp16 batch-1 decode (128-token prompt, 128 new tokens), batch 16 and 64 decode, 2048-token
//   prefill, int8 weight-only batch-1 decode
// and prints tok/s and the fraction of the floor reached (floor = bytes a step must read, weights
// + KV cache, over the measured bandwidth; for prefill the figure is effective TFLOP/s).
// Usage: node dist/main.js [--cases fp16-b1,fp16-b16,fp16-b64,prefill,int8-b1]
//   (tools/gpu-check.sh runs it on the lent GPU machine; --cases picks a subset, e.g. to profile)
import { Tensor, cudaDeviceInfo } from '@gptj/tensor';
import { createCudaGPTJRunner, type CudaGPTJRunner } from '@gptj/tensor/runner';
import { cudaReadBandwidth } from '@gptj/tensor/bench';
import { GPTJ_6B, type RandomModel, kvBytes, randomModel } from './model.js';

interface Row {
  name: string;
  tokPerS: number;
  msPerStep: number;
  floorMs?: number;
  tflops?: number;
  target: string;
}

function randomIds(rows: number, len: number, seed: number): number[][] {
  let x = seed;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % GPTJ_6B.vocabSize;
  return Array.from({ length: rows }, () => Array.from({ length: len }, next));
}

/** Prompt of `prompt` tokens per row, then `gen` greedy steps; the first 2 steps (direct launch,
 * graph capture) are not timed. */
async function decode(runner: CudaGPTJRunner, matrixBytes: number, bw: number, B: number, name: string, target: string, prompt = 128, gen = 128): Promise<Row> {
  const s = runner.createSession(B, prompt + gen);
  try {
    let next = await s.forwardArgmax(randomIds(B, prompt, 7));
    for (let i = 0; i < 2; i++) next = await s.forwardArgmax(Array.from(next, (id) => [id]));
    const steps = gen - 2;
    let kv = 0;
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) {
      kv += kvBytes(GPTJ_6B, B, s.length + 1);
      next = await s.forwardArgmax(Array.from(next, (id) => [id]));
    }
    const ms = (performance.now() - t0) / steps;
    const floorMs = ((matrixBytes + kv / steps) / bw) * 1e3;
    return { name, tokPerS: (B * 1e3) / ms, msPerStep: ms, floorMs, target };
  } finally {
    s.dispose();
  }
}

async function prefill(runner: CudaGPTJRunner, matrixParams: number, T: number, target: string): Promise<Row> {
  const ids = randomIds(1, T, 11);
  const warm = runner.createSession(1, T);
  await warm.forwardArgmax(ids); // first run: cuBLASLt heuristics, buffers
  warm.dispose();
  const s = runner.createSession(1, T);
  try {
    const t0 = performance.now();
    await s.forwardArgmax(ids);
    const ms = performance.now() - t0;
    const { nLayer, nEmbd } = GPTJ_6B;
    const flops = 2 * matrixParams * T + 2 * nLayer * T * T * nEmbd; // matmuls + causal QK^T and PV
    return { name: `prefill ${T} tokens`, tokPerS: (T * 1e3) / ms, msPerStep: ms, tflops: flops / (ms * 1e-3) / 1e12, target };
  } finally {
    s.dispose();
  }
}

function table(rows: Row[], bw: number, device: string): string {
  const head = ['case', 'tok/s', 'ms/step', 'floor ms', '% of floor', 'TFLOP/s', 'target'];
  const body = rows.map((r) => [
    r.name,
    r.tokPerS.toFixed(1),
    r.msPerStep.toFixed(3),
    r.floorMs?.toFixed(3) ?? '-',
    r.floorMs ? ((100 * r.floorMs) / r.msPerStep).toFixed(1) : '-',
    r.tflops?.toFixed(1) ?? '-',
    r.target,
  ]);
  // every row has head.length cells
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(w[i]!)).join('  ');
  return [
    `GPT-J 6B shape, random weights, ${device}, read bandwidth ${(bw / 1e12).toFixed(3)} TB/s`,
    line(head),
    line(w.map((n) => '-'.repeat(n))),
    ...body.map(line),
  ].join('\n');
}

const CASES = ['fp16-b1', 'fp16-b16', 'fp16-b64', 'prefill', 'int8-b1'];

/** The cases named by --cases (all by default); throws on an unknown name. */
function parseCases(argv: string[]): Set<string> {
  const i = argv.indexOf('--cases');
  if (i < 0) return new Set(CASES);
  const names = (argv[i + 1] ?? '').split(',').filter(Boolean);
  const bad = names.filter((n) => !CASES.includes(n));
  if (bad.length || !names.length) throw new Error(`--cases takes a comma list of ${CASES.join(', ')}; got ${argv[i + 1] ?? 'nothing'}`);
  return new Set(names);
}

async function main(): Promise<void> {
  const wanted = parseCases(process.argv.slice(2));
  const info = cudaDeviceInfo();
  if (!info.available) {
    console.log(`gpu-bench: CUDA unavailable (${info.reason}); nothing to measure`);
    return;
  }
  console.log(
    `gpu-bench: ${info.device} (sm_${info.computeCapability?.replace('.', '')}), ${((info.totalMemory ?? 0) / 2 ** 30).toFixed(1)} GiB, cuBLASLt: ${info.cublasLt}`,
  );
  const probe = Tensor.zeros([1 << 30], 'f32', 'cuda'); // 4 GiB, far above L2
  const bw = cudaReadBandwidth(probe, 20);
  probe.dispose();
  console.log(`read bandwidth: ${(bw / 1e12).toFixed(3)} TB/s`);

  const rows: Row[] = [];
  const run = async (label: string, f: () => Promise<Row>) => {
    if (!wanted.has(label)) return;
    const t0 = performance.now();
    const r = await f();
    console.log(`${label}: ${r.tokPerS.toFixed(1)} tok/s (${((performance.now() - t0) / 1e3).toFixed(1)} s)`);
    rows.push(r);
  };
  /** Runs `f` over a random model of `wdt` weights if any of `cases` was asked for. */
  const withModel = async (wdt: 'f16' | 'q8', seed: number, cases: string[], f: (m: RandomModel, r: CudaGPTJRunner) => Promise<void>) => {
    if (!cases.some((c) => wanted.has(c))) return;
    const m = randomModel(GPTJ_6B, wdt, seed);
    const r = createCudaGPTJRunner(GPTJ_6B, m.weights);
    await f(m, r);
    r.dispose();
    m.dispose();
  };
  await withModel('f16', 1, CASES.slice(0, 4), async (m, r) => {
    await run('fp16-b1', () => decode(r, m.matrixBytes, bw, 1, 'fp16 decode b1', '>= 227 tok/s'));
    await run('fp16-b16', () => decode(r, m.matrixBytes, bw, 16, 'fp16 decode b16', 'HF 500 tok/s'));
    await run('fp16-b64', () => decode(r, m.matrixBytes, bw, 64, 'fp16 decode b64', '>= 8000 tok/s'));
    await run('prefill', () => prefill(r, m.matrixParams, 2048, '>= 450 TFLOP/s'));
  });
  await withModel('q8', 2, ['int8-b1'], async (m, r) => {
    await run('int8-b1', () => decode(r, m.matrixBytes, bw, 1, 'int8 w-only decode b1', '>= 400 tok/s'));
  });
  console.log(`\n${table(rows, bw, info.device ?? 'cuda')}`);
}

await main();
