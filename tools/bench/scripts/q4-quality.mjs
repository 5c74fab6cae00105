// Quality cost of q8 and q4 weights on the bundled mini-code checkpoint (issue 16): perplexity on Python
// source files (the first 512 tokens of each) and the mean KL divergence of each dtype's next-token
// distribution to f32's, through the layer-kit forward (f32 activations; the stored f16 weights cast to f32,
// f16, q8 and q4 matrices). It imports @gptj/model, @gptj/tokenizer and @gptj/tensor from the workspace by
// path: @gptj/bench does not depend on them (a devDependency to add).
//   node scripts/q4-quality.mjs /usr/lib/python3.11/textwrap.py /usr/lib/python3.11/difflib.py ...
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const root = new URL('../../../', import.meta.url);
const { loadModel, GPTJModel } = await import(new URL('packages/model/dist/index.js', root).href);
const { Tokenizer } = await import(new URL('packages/tokenizer/dist/index.js', root).href);
const { cast } = await import(new URL('packages/tensor/dist/index.js', root).href);
const dir = fileURLToPath(new URL('packages/mini-code/checkpoint', root));
const base = await loadModel(dir, { dtype: 'f32' });
const tok = await Tokenizer.forModelDirectory(dir);
const files = process.argv.slice(2);
if (files.length === 0) throw new Error('usage: node scripts/q4-quality.mjs FILE.py...');
const docs = files.map((f) => tok.encode(readFileSync(f, 'utf8')).slice(0, 512));
const MATRIX = ['q', 'k', 'v', 'out', 'fcIn', 'fcOut'];
function variant(dtype) {
  if (dtype === 'f32') return base;
  const w = base.weights;
  const c = (t) => cast(t, dtype);
  const weights = { ...w, lmHead: c(w.lmHead), layers: w.layers.map((l) => ({ ...l, ...Object.fromEntries(MATRIX.map((k) => [k, c(l[k])])) })) };
  return new GPTJModel(base.config, weights, 'cpu', dtype);
}
function logSoftmax(row) {
  let m = -Infinity; for (const v of row) m = Math.max(m, v);
  let s = 0; for (const v of row) s += Math.exp(v - m);
  const lse = m + Math.log(s);
  return Float64Array.from(row, (v) => v - lse);
}
const ref = [];
for (const dtype of ['f32', 'f16', 'q8', 'q4']) {
  const model = variant(dtype);
  let nll = 0, n = 0, kl = 0;
  for (const [d, ids] of docs.entries()) {
    const logits = await model.forward([ids]);
    const a = logits.toFloat32Array(); logits.dispose();
    const V = a.length / ids.length;
    const rows = [];
    for (let t = 0; t + 1 < ids.length; t++) {
      const lp = logSoftmax(a.subarray(t * V, (t + 1) * V));
      nll -= lp[ids[t + 1]]; n++;
      if (dtype === 'f32') rows.push(lp);
      else { const r = ref[d][t]; let s = 0; for (let i = 0; i < V; i++) s += Math.exp(r[i]) * (r[i] - lp[i]); kl += s; }
    }
    if (dtype === 'f32') ref.push(rows);
  }
  console.log(`${dtype}: perplexity ${Math.exp(nll / n).toFixed(3)} over ${n} tokens${dtype === 'f32' ? '' : `, mean KL(f32 || ${dtype}) ${(kl / n).toExponential(2)} nats`}`);
}
