// `gptj convert`: the small fp32 fixture re-saved in f16/bf16 holds exactly what the tensor core's own cast makes
// of each weight, loads again, and still gives the transformers logits within half-precision error; the fp16
// mini-code checkpoint stored as int8 loads into the very model `--dtype int8` makes of it.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miniCodeDir } from '@gptj/mini-code';
import { fixturePath, readFixtureF32, readFixtureJson } from '@gptj/test-fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from './test-support/run-cli.js';

const small = fixturePath('gptj-small-f32');
const tmp = mkdtempSync(join(tmpdir(), 'gptj-cli-convert-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** name -> { dtype, shape, bytes } of a safetensors file, read with nothing but the format's definition. */
function readSafetensors(path: string): Map<string, { dtype: string; shape: number[]; bytes: Uint8Array }> {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, { dtype: string; shape: number[]; bytes: Uint8Array }>();
  for (const [name, h] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    out.set(name, { dtype: h.dtype, shape: h.shape, bytes: buf.subarray(8 + n + h.data_offsets[0], 8 + n + h.data_offsets[1]) });
  }
  return out;
}

describe('gptj convert', () => {
  it.each(['f16', 'bf16'] as const)('to %s: bytes equal the tensor core cast, logits stay within half-precision error', async (dtype) => {
    const out = join(tmp, dtype);
    const run = await runCli(['convert', '--model', small, '--dtype', dtype, '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ out, dtype });
    expect(existsSync(join(out, 'config.json'))).toBe(true);

    const { Tensor } = await import('@gptj/tensor');
    const source = readSafetensors(join(small, 'model.safetensors'));
    const converted = readSafetensors(join(out, 'model.safetensors'));
    expect([...converted.keys()].sort()).toEqual([...source.keys()].sort());
    for (const [name, src] of source) {
      const got = converted.get(name)!;
      expect(got.dtype).toBe(dtype.toUpperCase());
      expect(got.shape).toEqual(src.shape);
      const f32 = new Float32Array(src.bytes.buffer.slice(src.bytes.byteOffset, src.bytes.byteOffset + src.bytes.byteLength));
      const reference = Tensor.fromArray(f32, [f32.length], { dtype }).toBytes();
      expect(Buffer.from(got.bytes).equals(Buffer.from(reference)), name).toBe(true);
    }

    // The converted directory loads and still matches transformers' logits (seq-40 case) at half precision.
    const c = readFixtureJson('gptj-small-f32', 'reference.json').cases.find((x: { name: string }) => x.name === 'seq-40');
    const logitsFile = join(tmp, `${dtype}.f32`);
    const logits = await runCli(['logits', '--model', out, '--ids', c.input_ids[0].join(','), '--out', logitsFile]);
    expect(logits.code).toBe(0);
    const buf = readFileSync(logitsFile);
    const got = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const ref = readFixtureF32('gptj-small-f32', c.logits.file);
    let maxRef = 0;
    let maxErr = 0;
    ref.forEach((r, i) => {
      maxRef = Math.max(maxRef, Math.abs(r));
      maxErr = Math.max(maxErr, Math.abs(got[i]! - r));
    });
    expect(maxErr).toBeLessThan(3e-2 * maxRef);
  });

  it('reads a PyTorch .bin checkpoint to the same f16 file', async () => {
    const { writePytorchBin } = await import('@gptj/model');
    const binDir = join(tmp, 'bin');
    mkdirSync(binDir);
    copyFileSync(join(small, 'config.json'), join(binDir, 'config.json'));
    const tensors = [...readSafetensors(join(small, 'model.safetensors'))].map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape, data: t.bytes }));
    writePytorchBin(join(binDir, 'pytorch_model.bin'), tensors);
    const [fromBin, fromSafetensors] = [join(tmp, 'from-bin'), join(tmp, 'from-st')];
    expect((await runCli(['convert', '--model', binDir, '--dtype', 'f16', '--out', fromBin])).code).toBe(0);
    expect((await runCli(['convert', '--model', small, '--dtype', 'f16', '--out', fromSafetensors])).code).toBe(0);
    const a = readSafetensors(join(fromBin, 'model.safetensors'));
    const b = readSafetensors(join(fromSafetensors, 'model.safetensors'));
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [name, t] of a) expect(Buffer.from(t.bytes).equals(Buffer.from(b.get(name)!.bytes)), name).toBe(true);
  });

  it('to int8: I8 linear weights + F32 scales, half their f16 bytes; logits and greedy ids equal --dtype int8 on the source', async () => {
    const out = join(tmp, 'int8');
    const run = await runCli(['convert', '--model', miniCodeDir, '--dtype', 'int8', '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { bytes } = JSON.parse(run.stdout) as { bytes: number };

    const { isLinearWeight, openCheckpoint } = await import('@gptj/model');
    const source = await openCheckpoint(miniCodeDir);
    const converted = readSafetensors(join(out, 'model.safetensors'));
    const header = readFileSync(join(out, 'model.safetensors'));
    expect(JSON.parse(header.subarray(8, 8 + Number(header.readBigUInt64LE(0))).toString('utf8')).__metadata__).toEqual({
      format: 'pt',
      gptj_quantization: 'q8-per-row',
    });
    let sourceBytes = 0;
    for (const [name, e] of source.tensors) {
      sourceBytes += e.byteLength;
      const got = converted.get(name)!;
      expect(e.dtype, name).toBe('F16');
      expect(got.shape, name).toEqual(e.shape);
      if (isLinearWeight(name)) {
        expect([got.dtype, got.bytes.byteLength], name).toEqual(['I8', e.byteLength / 2]);
        expect(converted.get(`${name}_scale`), name).toMatchObject({ dtype: 'F32', shape: [e.shape[0], 1] });
      } else {
        expect(got.dtype, name).toBe(e.shape.length === 1 ? 'F32' : 'F16');
      }
    }
    source.close();
    // mini-code's 50400 x 128 f16 embedding is 47% of it; for GPT-J 6B the same layout is 52% of the f16 file.
    expect(bytes / sourceBytes).toBeGreaterThan(0.7);
    expect(bytes / sourceBytes).toBeLessThan(0.76);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.quantization_config).toMatchObject({ quant_method: 'gptj-q8', bits: 8 });

    const ids = '2,15069,357,66,8,30277,19193,82,11,3457';
    const [mine, reference] = [join(tmp, 'int8-stored.f32'), join(tmp, 'int8-on-load.f32')];
    expect((await runCli(['logits', '--model', out, '--ids', ids, '--out', mine])).code).toBe(0);
    expect((await runCli(['logits', '--model', miniCodeDir, '--dtype', 'int8', '--ids', ids, '--out', reference])).code).toBe(0);
    expect(readFileSync(mine).equals(readFileSync(reference))).toBe(true);

    const greedy = ['generate', '# Copyright', '--temperature', '0', '--max-new-tokens', '24', '--json'];
    const [a, b] = [await runCli([...greedy, '--model', out]), await runCli([...greedy, '--model', miniCodeDir, '--dtype', 'int8'])];
    expect([a.code, b.code]).toEqual([0, 0]);
    const [ja, jb] = [JSON.parse(a.stdout), JSON.parse(b.stdout)] as [{ ids: number[]; text: string }, { ids: number[]; text: string }];
    expect(ja.ids).toHaveLength(24);
    expect(ja.ids).toEqual(jb.ids);
    expect(ja.text).toBe(jb.text);

    const again = await runCli(['convert', '--model', out, '--dtype', 'f16', '--out', join(tmp, 'from-int8')]);
    expect(again.code).toBe(1);
    expect(expectOneLineError(again)).toMatch(/already an int8 checkpoint \(.* is I8\); convert from a float checkpoint/);
  });

  // It checked names only: a misshaped weight was written out as it was (f16), or failed as an internal error (int8).
  it.each(['f16', 'int8'])("to %s: refuses a tensor whose shape is not the config's, naming both, before writing anything", async (dtype) => {
    const { gptjTensorShapes, parseGPTJConfig, writeSafetensors } = await import('@gptj/model');
    const json = { n_embd: 32, n_head: 4, n_layer: 1, vocab_size: 16, rotary_dim: 4, n_positions: 16 };
    const src = join(tmp, `misshaped-${dtype}`);
    mkdirSync(src);
    writeFileSync(join(src, 'config.json'), JSON.stringify(json));
    const flat = (name: string, shape: readonly number[]) => (name === 'transformer.h.0.attn.q_proj.weight' ? [shape.reduce((p, d) => p * d, 1)] : shape);
    writeSafetensors(
      join(src, 'model.safetensors'),
      [...gptjTensorShapes(parseGPTJConfig(json))].map(([name, shape]) => ({
        name,
        dtype: 'F32' as const,
        shape: flat(name, shape),
        data: new Uint8Array(4 * shape.reduce((p, d) => p * d, 1)),
      })),
    );
    const out = join(tmp, `misshaped-${dtype}-out`);
    const run = await runCli(['convert', '--model', src, '--dtype', dtype, '--out', out]);
    expect(run.code).toBe(1);
    expect(expectOneLineError(run)).toBe(
      `gptj: error: model.safetensors: tensor transformer.h.0.attn.q_proj.weight has shape [1024], the config needs [32,32]`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a non-empty output directory', async () => {
    const busy = await runCli(['convert', '--model', small, '--dtype', 'f16', '--out', small]);
    expect(busy.code).toBe(1);
    expect(expectOneLineError(busy)).toMatch(/exists and is not an empty directory/);
  });

  it.each([
    ['config.json', /config\.json is a FIFO \(named pipe\), not a regular file/],
    ['vocab.json', /vocab\.json: not a regular file/],
  ])('a FIFO as %s is refused at once, not read (which would block until a writer came)', async (name, message) => {
    const dir = join(tmp, `fifo-${name}`);
    mkdirSync(dir);
    for (const f of ['config.json', 'model.safetensors']) if (f !== name) copyFileSync(join(small, f), join(dir, f));
    execFileSync('mkfifo', [join(dir, name)]);
    // should the reader block, a writer opens the FIFO after 5 s and the run goes on: the time check then fails
    const unblock = spawn('timeout', ['10', 'sh', '-c', 'sleep 5; exec 3>"$0"', join(dir, name)], { stdio: 'ignore' });
    try {
      const start = performance.now();
      const run = await runCli(['convert', '--model', dir, '--dtype', 'f16', '--out', join(tmp, `fifo-out-${name}`)]);
      expect(performance.now() - start).toBeLessThan(4000);
      expect(run.code).toBe(1);
      expect(expectOneLineError(run)).toMatch(message);
    } finally {
      unblock.kill();
    }
  });
});
