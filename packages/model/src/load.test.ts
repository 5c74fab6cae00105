// loadModel paths: the sharded fp16 mini-code checkpoint, .bin re-saves, dtype on load, strict names/shapes.
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath, miniCodeSamples, readFixtureF32, readFixtureJson } from '@gptj/test-fixtures';
import { miniCodeDir } from '@gptj/mini-code';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointMismatchError,
  ConfigError,
  type GPTJModel,
  ModelLoadError,
  type TensorSource,
  loadModel,
  openCheckpoint,
  writePytorchBin,
  writeSafetensors,
} from './index.js';
import { argmax, relToMax } from './test-support/compare.js';

const small = fixturePath('gptj-small-f32');
const dir = mkdtempSync(join(tmpdir(), 'gptj-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const seq40 = readFixtureJson<{ cases: { name: string; input_ids: number[][]; logits: { file: string } }[] }>('gptj-small-f32', 'reference.json').cases.find(
  (c) => c.name === 'seq-40',
)!;
const seq40Ref = readFixtureF32('gptj-small-f32', seq40.logits.file);

/** The fixture's tensors as writer sources, optionally edited. */
async function fixtureTensors(edit: (ts: TensorSource[]) => TensorSource[] = (t) => t): Promise<TensorSource[]> {
  const ckpt = await openCheckpoint(small);
  const ts = [...ckpt.tensors.values()].map((e) => ({ name: e.name, dtype: e.dtype, shape: e.shape, data: e.file.read(e.offset, e.byteLength) }));
  ckpt.close();
  return edit(ts);
}
function modelDir(name: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
}
async function logitsOf(m: GPTJModel, ids: number[][]): Promise<Float32Array> {
  const t = await m.forward(ids);
  const out = t.toFloat32Array();
  t.dispose();
  return out;
}

let f32: GPTJModel;
let binDir: string;
beforeAll(async () => {
  f32 = await loadModel(small);
  binDir = modelDir('bin');
  copyFileSync(join(small, 'config.json'), join(binDir, 'config.json'));
  writePytorchBin(join(binDir, 'pytorch_model.bin'), await fixtureTensors());
});

describe('loadModel', () => {
  it('mmap: false reads the weights into memory: the model no longer depends on the file', async () => {
    const d = modelDir('no-mmap');
    for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(small, f), join(d, f));
    const m = await loadModel(d, { mmap: false });
    // Zero every weight byte in place (no truncation). A model over the mapped file may see such writes.
    const path = join(d, 'model.safetensors');
    const header = 8 + Number(readFileSync(path).readBigUInt64LE(0));
    const fd = openSync(path, 'r+');
    writeSync(fd, new Uint8Array(statSync(path).size - header), 0, statSync(path).size - header, header);
    closeSync(fd);
    expect(relToMax(await logitsOf(m, seq40.input_ids), seq40Ref)).toBeLessThan(1e-4);
    m.dispose();
  });

  it('mini-code (fp16, 3 shards): greedy continuations of the first two samples match transformers', async () => {
    const samples = miniCodeSamples();
    const m = await loadModel(miniCodeDir);
    expect(m.dtype).toBe('f16');
    for (const s of samples.slice(0, 2)) {
      const session = m.createSession(1);
      const got: number[] = [];
      let next = [s.prompt_ids];
      for (let i = 0; i < s.new_ids.length; i++) {
        got.push(argmax(await session.forward(next)));
        next = [[got.at(-1)!]];
      }
      session.dispose();
      expect(got).toEqual(s.new_ids);
    }
    m.dispose();
  });

  it('the fixture re-saved as a PyTorch .bin loads to identical logits', async () => {
    const m = await loadModel(binDir);
    expect(await logitsOf(m, seq40.input_ids)).toEqual(await logitsOf(f32, seq40.input_ids));
    m.dispose();
  });

  it('accepts the attn.bias / attn.masked_bias buffers of real checkpoints', async () => {
    const d = modelDir('buffers');
    copyFileSync(join(small, 'config.json'), join(d, 'config.json'));
    writePytorchBin(
      join(d, 'pytorch_model.bin'),
      await fixtureTensors((ts) => [
        ...ts,
        ...[0, 1, 2].flatMap((i) => [
          { name: `transformer.h.${i}.attn.bias`, dtype: 'BOOL' as const, shape: [1, 1, 4, 4], data: new Uint8Array(16).fill(1) },
          { name: `transformer.h.${i}.attn.masked_bias`, dtype: 'F32' as const, shape: [], data: new Uint8Array(new Float32Array([-1e9]).buffer) },
        ]),
      ]),
    );
    const m = await loadModel(d);
    expect(relToMax(await logitsOf(m, seq40.input_ids), seq40Ref)).toBeLessThan(1e-4);
    m.dispose();
  });

  // Errors of reduced-precision weights (compute stays f32), relative to the largest reference logit.
  it.each([
    ['f16', 2e-3],
    ['bf16', 1e-2],
    ['q8', 3e-2],
  ] as const)('dtype %s on load from f32: error vs transformers < %d', async (dtype, bound) => {
    const m = await loadModel(small, { dtype });
    expect(m.dtype).toBe(dtype);
    const err = relToMax(await logitsOf(m, seq40.input_ids), seq40Ref);
    console.log(`gptj-small seq-40, ${dtype} weights: max |error| / max |logit| = ${err.toExponential(2)}`);
    expect(err).toBeLessThan(bound);
    m.dispose();
  });

  it('fp32 .bin converts to f16 on load exactly like the safetensors path', async () => {
    const fromBin = await loadModel(binDir, { dtype: 'f16' });
    const fromSt = await loadModel(small, { dtype: 'f16' });
    expect(await logitsOf(fromBin, seq40.input_ids)).toEqual(await logitsOf(fromSt, seq40.input_ids));
  });

  it('reports missing, unexpected and misshaped tensors together', async () => {
    const d = modelDir('mismatch');
    copyFileSync(join(small, 'config.json'), join(d, 'config.json'));
    writeSafetensors(
      join(d, 'model.safetensors'),
      await fixtureTensors((ts) => [
        ...ts
          .filter((t) => t.name !== 'transformer.h.1.mlp.fc_in.bias')
          .map((t) => (t.name === 'lm_head.bias' ? { ...t, shape: [256], data: t.data instanceof Uint8Array ? t.data.subarray(0, 1024) : t.data } : t)),
        { name: 'transformer.h.0.attn.rotary.inv_freq', dtype: 'F32', shape: [4], data: new Uint8Array(16) },
      ]),
    );
    const err = await loadModel(d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointMismatchError);
    expect((err as CheckpointMismatchError).problems).toEqual([
      'missing transformer.h.1.mlp.fc_in.bias [512]',
      'lm_head.bias has shape [256], the config needs [512]',
      'unexpected tensor transformer.h.0.attn.rotary.inv_freq',
    ]);
  });

  it('gives typed errors for missing directories, configs and weights', async () => {
    await expect(loadModel(join(dir, 'nope'))).rejects.toThrow(ModelLoadError);
    const d = modelDir('empty');
    await expect(loadModel(d)).rejects.toThrow(/has no config.json/);
    writeFileSync(join(d, 'config.json'), '{"n_embd": ');
    await expect(loadModel(d)).rejects.toThrow(ConfigError);
    copyFileSync(join(small, 'config.json'), join(d, 'config.json'));
    await expect(loadModel(d)).rejects.toThrow(/holds no weights/);
    writeFileSync(join(d, 'model.safetensors'), readFileSync(join(small, 'model.safetensors')).subarray(0, 100_000));
    await expect(loadModel(d)).rejects.toThrow(/model.safetensors.*run past the end of the data/);
  });
});
