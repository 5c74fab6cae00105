// Quality cost of the reduced weight dtypes (issue 16), each model loaded the way `--dtype` loads it
// (loadModel's dtype: the stored weights cast at load) and run through the layer-kit forward (f32 activations):
// - perplexity of the dtypes on Python source (the first --tokens tokens of each file), and
// - the mean KL divergence of each dtype's next-token distribution to the reference dtype's, per position.
// Models are loaded one at a time (a 6B-shaped one in f16 is 12 GB), the reference's log-probabilities kept.
//   node scripts/quality.mjs [--model DIR] [--ref f32] [--dtypes f16,q8,q4] [--tokens 512] FILE.py...
// Default model: the bundled mini-code checkpoint, whose tokenizer also encodes the files for --model.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { miniCodeDir } from '@gptj/mini-code';
import { loadModel } from '@gptj/model';
import { Tokenizer } from '@gptj/tokenizer';

const { values, positionals: files } = parseArgs({
  allowPositionals: true,
  options: {
    model: { type: 'string', default: miniCodeDir },
    ref: { type: 'string', default: 'f32' },
    dtypes: { type: 'string', default: 'f16,q8,q4' },
    tokens: { type: 'string', default: '512' },
  },
});
if (files.length === 0) throw new Error('usage: node scripts/quality.mjs [--model DIR] [--ref f32] [--dtypes f16,q8,q4] [--tokens N] FILE.py...');
const tok = await Tokenizer.forModelDirectory(miniCodeDir);
const docs = files.map((f) => tok.encode(readFileSync(f, 'utf8')).slice(0, Number(values.tokens)));

function logSoftmax(row) {
  let m = -Infinity;
  for (const v of row) m = Math.max(m, v);
  let s = 0;
  for (const v of row) s += Math.exp(v - m);
  const lse = m + Math.log(s);
  return Float64Array.from(row, (v) => v - lse);
}

const ref = [];
for (const dtype of [values.ref, ...values.dtypes.split(',')]) {
  const started = Date.now();
  const model = await loadModel(values.model, { dtype: dtype === 'int8' ? 'q8' : dtype, device: 'cpu' });
  let nll = 0,
    n = 0,
    kl = 0;
  for (const [d, ids] of docs.entries()) {
    const logits = await model.forward([ids]);
    const a = logits.toFloat32Array();
    logits.dispose();
    const V = a.length / ids.length;
    const rows = [];
    for (let t = 0; t + 1 < ids.length; t++) {
      const lp = logSoftmax(a.subarray(t * V, (t + 1) * V));
      nll -= lp[ids[t + 1]];
      n++;
      if (dtype === values.ref) rows.push(lp);
      else {
        const r = ref[d][t];
        let s = 0;
        for (let i = 0; i < V; i++) s += Math.exp(r[i]) * (r[i] - lp[i]);
        kl += s;
      }
    }
    if (dtype === values.ref) ref.push(rows);
  }
  model.dispose();
  const klText = dtype === values.ref ? '(reference)' : `mean KL(${values.ref} || ${dtype}) ${(kl / n).toExponential(2)} nats/token`;
  console.log(`${dtype.padEnd(4)} perplexity ${Math.exp(nll / n).toFixed(3)} over ${n} tokens, ${klText} [${((Date.now() - started) / 1e3).toFixed(0)} s]`);
}
