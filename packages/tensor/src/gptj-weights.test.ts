// GPT-J's weight list and the runners' support predicate. (The list against a checkpoint written by Hugging
// Face transformers: packages/model/src/checkpoint/expected.test.ts.)
import { describe, expect, it } from 'vitest';
import { ShapeError, Tensor, TensorError } from './index.js';
import { buildRunnerWeights, createCpuGPTJRunner, gptjRunnerUnsupported, gptjWeightRole, gptjWeightSpecs } from './runner.js';
import type { GPTJRunnerConfig } from './runner-shared.js';

const cfg: GPTJRunnerConfig = { vocabSize: 10, nEmbd: 8, nLayer: 2, nHead: 2, nInner: 12, rotaryDim: 2, layerNormEpsilon: 1e-5 };

describe('gptjWeightSpecs', () => {
  it("lists 10 weights a block plus 5, each HF name once, with the runners' paths", () => {
    const specs = gptjWeightSpecs(cfg);
    expect(specs).toHaveLength(10 * cfg.nLayer + 5);
    expect(new Set(specs.map((s) => s.name)).size).toBe(specs.length);
    const q1 = specs.find((s) => s.name === 'transformer.h.1.attn.q_proj.weight');
    expect(q1).toMatchObject({ path: 'layers[1].q', layer: 1, key: 'q', role: 'matrix', shape: [8, 8] });
    expect(specs.find((s) => s.name === 'transformer.h.0.mlp.fc_in.weight')?.shape).toEqual([12, 8]);
    expect(specs.find((s) => s.name === 'lm_head.bias')).toMatchObject({ path: 'lmHeadBias', layer: null, shape: [10] });
  });

  it('buildRunnerWeights fills every key the runners read', () => {
    const w = buildRunnerWeights(cfg, (s) => s.path);
    expect(w.lmHead).toBe('lmHead');
    expect(w.layers[1].fcOutBias).toBe('layers[1].fcOutBias');
    expect(Object.keys(w.layers[0]).sort()).toEqual(['fcIn', 'fcInBias', 'fcOut', 'fcOutBias', 'k', 'lnBeta', 'lnGamma', 'out', 'q', 'v']);
  });

  it('gptjWeightRole: matrices, embedding, norms, biases; undefined for anything else', () => {
    expect(gptjWeightRole('transformer.h.27.mlp.fc_out.weight')).toBe('matrix');
    expect(gptjWeightRole('lm_head.weight')).toBe('matrix');
    expect(gptjWeightRole('transformer.wte.weight')).toBe('embedding');
    expect(gptjWeightRole('transformer.ln_f.bias')).toBe('norm');
    expect(gptjWeightRole('transformer.h.0.mlp.fc_in.bias')).toBe('bias');
    for (const name of ['transformer.h.0.attn.bias', 'transformer.h.x.ln_1.weight', 'ln_1.weight', 'transformer.h.0.lm_head.weight', 'lm_head.weight_scale'])
      expect(gptjWeightRole(name)).toBeUndefined();
  });

  it('a runner names a missing block entry instead of crashing on it', () => {
    const w = buildRunnerWeights(cfg, (s) => Tensor.fromArray(new Float32Array(s.shape.reduce((a, d) => a * d, 1)), s.shape));
    const broken = { ...w, layers: [w.layers[0], null as never] };
    expect(() => createCpuGPTJRunner(cfg, broken)).toThrow(/layers\[1\]\.lnGamma must be a Tensor/);
    expect(() => createCpuGPTJRunner(cfg, { ...w, layers: [w.layers[0]] })).toThrow(ShapeError);
    for (const s of gptjWeightSpecs(cfg)) (s.layer === null ? w[s.key] : w.layers[s.layer][s.key]).dispose();
  });
});

describe('gptjRunnerUnsupported', () => {
  it('the CPU runner runs every GPT-J', () => {
    for (const dt of ['f32', 'f16', 'bf16', 'q8'] as const) expect(gptjRunnerUnsupported('cpu', { ...cfg, activation: 'gelu' }, dt)).toBe(null);
    expect(gptjRunnerUnsupported('cpu', { ...cfg, nEmbd: 1024, nHead: 2 })).toBe(null);
  });

  it('the CUDA runner: f16/bf16/q8 matrices, the tanh gelu, heads of at most 256 dims', () => {
    for (const dt of ['f16', 'bf16', 'q8'] as const) expect(gptjRunnerUnsupported('cuda', cfg, dt)).toBe(null);
    expect(gptjRunnerUnsupported('cuda', cfg, 'f32')).toBe('the CUDA runner needs f16, bf16 or q8 weights, not f32');
    expect(gptjRunnerUnsupported('cuda', { ...cfg, activation: 'gelu' }, 'f16')).toMatch(/exact one/);
    expect(gptjRunnerUnsupported('cuda', { ...cfg, nEmbd: 1024, nHead: 2 }, 'f16')).toMatch(/at most 256 dims, this model has 512/);
  });

  it('an unknown activation is refused on both, and createCpuGPTJRunner says so', () => {
    const relu = { ...cfg, activation: 'relu' as 'gelu' };
    for (const device of ['cpu', 'cuda'] as const) expect(gptjRunnerUnsupported(device, relu)).toMatch(/activation must be 'gelu_new' or 'gelu', got relu/);
    expect(() => createCpuGPTJRunner(relu, {} as never)).toThrow(TensorError);
  });
});
