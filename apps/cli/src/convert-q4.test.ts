// `gptj convert --dtype q4`: the fp16 mini-code checkpoint stored as q4 (U8 codes + F16 group scales) loads into
// the very model `--dtype q4` makes of it, byte for byte, and a q4 checkpoint is not converted again.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miniCodeDir } from '@gptj/mini-code';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from './test-support/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'gptj-cli-convert-q4-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The header of a safetensors file, read with nothing but the format's definition. */
function header(path: string): Record<string, { dtype: string; shape: number[] }> {
  const buf = readFileSync(path);
  return JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString('utf8'));
}

describe('gptj convert --dtype q4', () => {
  it('stores U8 codes [out, in/2] + F16 scales [out, in/32] and loads back into the --dtype q4 model exactly', async () => {
    const out = join(tmp, 'q4');
    const run = await runCli(['convert', '--model', miniCodeDir, '--dtype', 'q4', '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);

    const { isLinearWeight, loadModel, openCheckpoint } = await import('@gptj/model');
    const h = header(join(out, 'model.safetensors'));
    expect(h.__metadata__).toEqual({ format: 'pt', gptj_quantization: 'q4-g32' });
    const source = await openCheckpoint(miniCodeDir);
    for (const [name, e] of source.tensors) {
      if (!isLinearWeight(name)) continue;
      const [rows, cols] = e.shape as [number, number]; // linear weights are [out, in]
      expect(h[name], name).toMatchObject({ dtype: 'U8', shape: [rows, cols / 2] });
      expect(h[`${name}_scale`], name).toMatchObject({ dtype: 'F16', shape: [rows, cols / 32] });
    }
    source.close();
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).quantization_config).toMatchObject({ quant_method: 'gptj-q4', bits: 4, group_size: 32 });

    const [stored, onLoad] = await Promise.all([loadModel(out), loadModel(miniCodeDir, { dtype: 'q4' })]);
    expect(stored.dtype).toBe('q4');
    expect(stored.weights.layers).toHaveLength(onLoad.weights.layers.length);
    for (const [l, layer] of stored.weights.layers.entries())
      for (const key of ['q', 'k', 'v', 'out', 'fcIn', 'fcOut'] as const)
        expect(Buffer.from(layer[key].toBytes()).equals(Buffer.from(onLoad.weights.layers[l]![key].toBytes())), `${l}.${key}`).toBe(true);
    expect(Buffer.from(stored.weights.lmHead.toBytes()).equals(Buffer.from(onLoad.weights.lmHead.toBytes()))).toBe(true);
    stored.dispose();
    onLoad.dispose();

    const greedy = ['generate', '# Copyright', '--temperature', '0', '--max-new-tokens', '16', '--json'];
    const [a, b] = [await runCli([...greedy, '--model', out]), await runCli([...greedy, '--model', miniCodeDir, '--dtype', 'q4'])];
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(JSON.parse(a.stdout).ids).toEqual(JSON.parse(b.stdout).ids);

    const again = await runCli(['convert', '--model', out, '--dtype', 'f16', '--out', join(tmp, 'from-q4')]);
    expect(again.code).toBe(1);
    expect(expectOneLineError(again)).toMatch(/already a q4 checkpoint \(.* is U8\); convert from a float checkpoint/);
  });

  it('refuses a model whose n_embd is not a multiple of 32 (q4 groups), before writing anything', async () => {
    const { gptjTensorShapes, parseGPTJConfig, writeSafetensors } = await import('@gptj/model');
    const json = { n_embd: 48, n_head: 4, n_layer: 1, vocab_size: 16, rotary_dim: 4, n_positions: 16 };
    const src = join(tmp, 'd48');
    mkdirSync(src);
    writeFileSync(join(src, 'config.json'), JSON.stringify(json));
    writeSafetensors(
      join(src, 'model.safetensors'),
      [...gptjTensorShapes(parseGPTJConfig(json))].map(([name, shape]) => ({
        name,
        dtype: 'F32' as const,
        shape,
        data: new Uint8Array(4 * shape.reduce((p, d) => p * d, 1)),
      })),
    );
    const run = await runCli(['convert', '--model', src, '--dtype', 'q4', '--out', join(tmp, 'd48-q4')]);
    expect(run.code).toBe(1);
    expect(expectOneLineError(run)).toMatch(/--dtype q4 needs n_embd and n_inner multiples of 32 \(its groups\), this model has 48 and 192/);
  });
});
