// Writes a Hugging Face GPT-J checkpoint (safetensors or pytorch_model.bin, sharded or not) as the legacy ggml
// GPT-J file that ggml's examples/gpt-j loads (`gpt-j -m FILE`) and its `gpt-j-quantize` turns into q8_0/q4_0:
// what that example's convert-h5-to-ggml.py writes with ftype 1, without needing torch or transformers.
// The file (every integer int32 little-endian):
//   magic 0x67676d6c ('ggml')
//   hparams: n_vocab, n_ctx (n_positions), n_embd, n_head, n_layer, n_rot (rotary_dim), ftype (1: f16 matrices)
//   vocab: n_vocab, then for ids 0..n_vocab-1: byte length, the token's raw bytes (vocab.json + added_tokens.json
//          spell bytes as GPT-2's printable characters; mapped back here)
//   tensors, until the end of the file: n_dims, name length, ttype (0 f32, 1 f16), dims innermost first (ne[0]
//          is the last Hugging Face dim), the name, the data row-major. Matrices (2-D '.weight': wte, q/k/v/out_proj,
//          fc_in, fc_out, lm_head) are f16, everything else (layer norms, biases) f32, as the example expects.
// The example leaves a tensor the file lacks uninitialised, so every tensor GPT-J needs is demanded here, with the
// shape the config gives it (@gptj/model's list); the attention mask buffers are not weights and are skipped.
//   node scripts/ggml-convert.mjs --model DIR --out FILE [--tokenizer DIR]
// --tokenizer: a directory with vocab.json (+ added_tokens.json); default the model's own, else the GPT-2/GPT-J
// files in tools/fixtures/data/gpt2-tokenizer (what GPT-J checkpoints without tokenizer files use).
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gptjTensorShapes, openCheckpoint, parseGPTJConfigText, readConfigText } from '@gptj/model';
import { Tensor, cast } from '@gptj/tensor';

const GGML_MAGIC = 0x67676d6c;
const FTYPE_F16 = 1;
const SOURCE_DTYPES = { F32: 'f32', F16: 'f16', BF16: 'bf16' };
const CHUNK = 64 << 20; // bytes copied at a time when a tensor is already in the dtype written

const { values } = parseArgs({ options: { model: { type: 'string' }, out: { type: 'string' }, tokenizer: { type: 'string' } } });
if (!values.model || !values.out) fail('usage: node scripts/ggml-convert.mjs --model DIR --out FILE [--tokenizer DIR]');
const fixtureTokenizer = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/data/gpt2-tokenizer');
const tokenizerDir = values.tokenizer ?? (existsSync(join(values.model, 'vocab.json')) ? values.model : fixtureTokenizer);

const config = parseGPTJConfigText(readConfigText(values.model));
const vocab = tokenBytesById(tokenizerDir, config.vocabSize);
const checkpoint = await openCheckpoint(values.model);
const shapes = gptjTensorShapes(config);
if (config.tieWordEmbeddings && !checkpoint.tensors.has('lm_head.weight')) shapes.delete('lm_head.weight');
checkTensors(checkpoint.tensors, shapes);

const out = openSync(values.out, 'w');
const write = (bytes) => writeSync(out, bytes);
const int32s = (...xs) => write(new Uint8Array(Int32Array.from(xs).buffer));
int32s(GGML_MAGIC, config.vocabSize, config.nPositions, config.nEmbd, config.nHead, config.nLayer, config.rotaryDim, FTYPE_F16);
int32s(vocab.length);
for (const bytes of vocab) {
  int32s(bytes.length);
  write(bytes);
}
const started = Date.now();
for (const [name, shape] of shapes) writeTensor(name, checkpoint.tensors.get(name), shape);
// Tied embeddings: the example always reads an lm_head.weight, which is then wte.
if (!shapes.has('lm_head.weight')) writeTensor('lm_head.weight', checkpoint.tensors.get('transformer.wte.weight'), shapes.get('transformer.wte.weight'));
closeSync(out);
checkpoint.close();
console.log(`wrote ${values.out}: ${config.nLayer} layers, vocab ${vocab.length}, f16 matrices, in ${((Date.now() - started) / 1000).toFixed(1)} s`);

function writeTensor(name, entry, shape) {
  const isMatrix = shape.length === 2 && name.endsWith('.weight');
  const ttype = isMatrix ? 1 : 0;
  const nameBytes = Buffer.from(name, 'utf8');
  int32s(shape.length, nameBytes.length, ttype, ...[...shape].reverse());
  write(nameBytes);
  if (entry.dtype === (isMatrix ? 'F16' : 'F32')) {
    // Already the dtype written: copy the bytes through one reusable buffer.
    const buf = new Uint8Array(Math.min(CHUNK, entry.byteLength));
    for (let done = 0; done < entry.byteLength; done += buf.length) {
      const n = Math.min(buf.length, entry.byteLength - done);
      write(entry.file.read(entry.offset + done, n, buf.subarray(0, n)));
    }
    return;
  }
  const source = Tensor.fromBytes(entry.file.read(entry.offset, entry.byteLength), entry.shape, SOURCE_DTYPES[entry.dtype]);
  const converted = cast(source, isMatrix ? 'f16' : 'f32', { name });
  write(converted.toBytes());
  source.dispose();
  converted.dispose();
}

/** Every tensor the example reads must be there, float, with the config's shape (it would run on garbage otherwise). */
function checkTensors(tensors, expected) {
  const problems = [];
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (!t) problems.push(`missing ${name} [${shape}]`);
    else if (t.shape.join() !== shape.join()) problems.push(`${name} has shape [${t.shape}], the config needs [${shape}]`);
    else if (!Object.hasOwn(SOURCE_DTYPES, t.dtype)) problems.push(`${name} is stored as ${t.dtype}; only F32, F16 and BF16 convert`);
  }
  const buffer = /^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/;
  for (const name of tensors.keys())
    if (!expected.has(name) && !buffer.test(name)) problems.push(`unexpected tensor ${name}: the ggml example has no place for it`);
  if (problems.length) fail(`${values.model}: ${problems.length} problem(s) with the checkpoint:\n  ${problems.join('\n  ')}`);
}

/** Raw bytes of tokens 0..n-1 from vocab.json and added_tokens.json ({token: id} maps); every id must be there once. */
function tokenBytesById(dir, n) {
  // GPT-2's byte <-> printable character map (its encoder.py bytes_to_unicode): printable Latin-1 bytes stand for
  // themselves, the 68 others for U+0100.. in byte order.
  const charToByte = new Map();
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    charToByte.set(String.fromCharCode(printable ? b : next++), b);
  }
  const byId = new Array(n).fill(null);
  for (const file of ['vocab.json', 'added_tokens.json']) {
    const path = join(dir, file);
    if (!existsSync(path)) {
      if (file === 'vocab.json') fail(`${dir} has no vocab.json (pass --tokenizer DIR)`);
      continue;
    }
    for (const [token, id] of Object.entries(JSON.parse(readFileSync(path, 'utf8')))) {
      if (!Number.isInteger(id) || id < 0) fail(`${path}: token ${JSON.stringify(token)} has id ${id}, not a non-negative integer`);
      if (id >= n) continue; // a checkpoint with a smaller vocab_size keeps the first ids
      if (byId[id]) fail(`${path}: id ${id} is given to two tokens`);
      byId[id] = Uint8Array.from(token, (c) => charToByte.get(c) ?? fail(`${path}: token ${JSON.stringify(token)} has a character that stands for no byte`));
    }
  }
  const missing = byId.indexOf(null);
  if (missing >= 0) fail(`${dir}: no token has id ${missing} (vocab_size ${n} needs ids 0..${n - 1})`);
  return byId;
}

function fail(message) {
  console.error(`ggml-convert: ${message}`);
  process.exit(1);
}
