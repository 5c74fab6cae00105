// Ctrl-C during `gptj convert`: nothing is left under --out, the staging directory goes, and a rerun succeeds.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors, type TensorSource } from '@gptj/model';
import { afterAll, describe, expect, it } from 'vitest';
import { mainJs, runCli } from './test-support/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'gptj-cli-convert-int-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A zero-weight f16 GPT-J big enough (about 160 MB) that its conversion takes many chunks. */
function bigCheckpoint(dir: string): void {
  const c = { vocab_size: 4096, n_positions: 256, n_embd: 1024, n_layer: 6, n_head: 8, rotary_dim: 64, n_inner: null };
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'gptj', torch_dtype: 'float16', ...c }));
  const d = c.n_embd;
  const shapes: [string, number[]][] = [['transformer.wte.weight', [c.vocab_size, d]]];
  for (let l = 0; l < c.n_layer; l++) {
    const h = `transformer.h.${l}`;
    shapes.push([`${h}.ln_1.weight`, [d]], [`${h}.ln_1.bias`, [d]]);
    for (const p of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) shapes.push([`${h}.attn.${p}.weight`, [d, d]]);
    shapes.push([`${h}.mlp.fc_in.weight`, [4 * d, d]], [`${h}.mlp.fc_in.bias`, [4 * d]], [`${h}.mlp.fc_out.weight`, [d, 4 * d]], [`${h}.mlp.fc_out.bias`, [d]]);
  }
  shapes.push(['transformer.ln_f.weight', [d]], ['transformer.ln_f.bias', [d]], ['lm_head.weight', [c.vocab_size, d]], ['lm_head.bias', [c.vocab_size]]);
  const tensors: TensorSource[] = shapes.map(([name, shape]) => ({ name, dtype: 'F16', shape, data: new Uint8Array(shape.reduce((a, b) => a * b, 1) * 2) }));
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
}

/** Starts `gptj convert`, sends `signal` as soon as the output file is being written, and waits for the exit. */
function interruptConvert(src: string, out: string, signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string; sawPartial: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mainJs, 'convert', '--model', src, '--dtype', 'bf16', '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let sawPartial = false;
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const staging = join(tmp, `.${out.split('/').pop()}.gptj-partial`);
    const poll = setInterval(() => {
      if (existsSync(join(staging, 'model.safetensors.partial'))) {
        sawPartial = true;
        clearInterval(poll);
        child.kill(signal);
      }
    }, 2);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ code, stderr, sawPartial });
    });
  });
}

describe('gptj convert interrupted', () => {
  const src = join(tmp, 'src');
  bigCheckpoint(src);

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'by %s exits %i and leaves nothing a rerun trips on',
    async (signal, status) => {
      const out = join(tmp, `out-${signal}`);
      const r = await interruptConvert(src, out, signal);
      expect(r.sawPartial).toBe(true);
      expect(r.code).toBe(status);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(tmp).filter((f) => f.includes('gptj-partial'))).toEqual([]);
      const rerun = await runCli(['convert', '--model', src, '--dtype', 'bf16', '--out', out], { timeoutMs: 120_000 });
      expect(rerun.stderr).toBe('');
      expect(rerun.code).toBe(0);
      expect(readdirSync(out).sort()).toEqual(['config.json', 'model.safetensors']);
    },
    180_000,
  );

  it('a staging directory left by a killed run is removed, not tripped on', async () => {
    const out = join(tmp, 'out-stale');
    mkdirSync(join(tmp, '.out-stale.gptj-partial'));
    writeFileSync(join(tmp, '.out-stale.gptj-partial', 'model.safetensors.partial'), 'truncated');
    const run = await runCli(['convert', '--model', src, '--dtype', 'bf16', '--out', out], { timeoutMs: 120_000 });
    expect(run.code).toBe(0);
    expect(existsSync(join(tmp, '.out-stale.gptj-partial'))).toBe(false);
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model.safetensors']);
  }, 180_000);
});
