#!/usr/bin/env node
// Usage: gptj-measure-load <model-dir> [--dtype auto|f32|f16|bf16|q8] [--tokens N]
// Prints time to ready (loadModel), peak RSS after loading, and time and peak RSS after forwards of
// N tokens (the first one touches every weight page, the second runs on resident weights). Run it in a fresh process per measurement: VmHWM (peak RSS) only ever grows.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type LoadDType, loadModel } from '@gptj/model';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { dtype: { type: 'string', default: 'auto' }, tokens: { type: 'string', default: '8' } },
});
const usage = 'usage: gptj-measure-load <model-dir> [--dtype auto|f32|f16|bf16|q8] [--tokens N]';
const dir = positionals[0];
const tokens = Number(values.tokens);
if (!dir) {
  console.error(usage);
  process.exit(2);
}
if (!Number.isInteger(tokens) || tokens < 1) {
  console.error(`gptj-measure-load: --tokens must be a positive integer, got '${values.tokens}'\n${usage}`);
  process.exit(2);
}

function memGB(field: 'VmHWM' | 'VmRSS'): number {
  const kb = Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
  return kb / 1024 / 1024;
}

const t0 = performance.now();
const model = await loadModel(dir, { dtype: values.dtype as LoadDType });
const ready = (performance.now() - t0) / 1000;
const afterLoad = { rss: memGB('VmRSS'), peak: memGB('VmHWM') };
const ids = [Array.from({ length: tokens }, (_, i) => (i * 977) % model.vocabSize)];
const t1 = performance.now();
const logits = await model.forward(ids);
const forward = (performance.now() - t1) / 1000;
const finite = logits.toFloat32Array().every(Number.isFinite);
logits.dispose();
const t2 = performance.now();
(await model.forward(ids)).dispose(); // warm: weights resident, no page faults
const secondForward = (performance.now() - t2) / 1000;
console.log(
  JSON.stringify({
    dir,
    dtype: model.dtype,
    readySeconds: +ready.toFixed(2),
    afterLoad: { rssGB: +afterLoad.rss.toFixed(2), peakGB: +afterLoad.peak.toFixed(2) },
    forwardTokens: tokens,
    forwardSeconds: +forward.toFixed(2),
    secondForwardSeconds: +secondForward.toFixed(2),
    logitsFinite: finite,
    afterForward: { rssGB: +memGB('VmRSS').toFixed(2), peakGB: +memGB('VmHWM').toFixed(2) },
  }),
);
model.dispose();
