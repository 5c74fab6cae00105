// A config.json that declares more than the checkpoint holds is refused before anything is sized from it
// (issue 15: n_layer 1000000 took 52 s and 3.5 GB before the mismatch error).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from '@gptj/test-fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadModel } from '../load.js';

const small = fixturePath('gptj-small-f32');
const root = mkdtempSync(join(tmpdir(), 'gptj-fit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const config = JSON.parse(readFileSync(join(small, 'config.json'), 'utf8')) as Record<string, unknown>;

/** The fixture checkpoint with its config.json edited. */
function withConfig(name: string, edit: Record<string, unknown>): string {
  const d = join(root, name);
  mkdirSync(d);
  copyFileSync(join(small, 'model.safetensors'), join(d, 'model.safetensors'));
  writeFileSync(join(d, 'config.json'), JSON.stringify({ ...config, ...edit }));
  return d;
}

describe('config against the checkpoint', () => {
  it.each([
    ["n_layer (the issue's case)", { n_layer: 1_000_000 }, /^config\.json field n_layer must be an integer from 1 to 1024, got 1000000$/],
    ['n_layer', { n_layer: 1000 }, /^config\.json field n_layer \(1000\) needs at least 10005 tensors; the checkpoint holds 35$/],
    [
      'n_embd',
      { n_embd: 65536, n_head: 8, rotary_dim: 8 },
      /^config\.json sizes \(n_layer 3, n_embd 65536, n_inner 262144, vocab_size 512\) need \d+ parameters, more than the 2897408 bytes the checkpoint's tensors hold$/,
    ],
    ['vocab_size', { vocab_size: 4_000_000 }, /need \d+ parameters, more than the \d+ bytes the checkpoint's tensors hold/],
  ])('a config whose %s exceeds what the checkpoint holds is a ConfigError before any weight is sized', async (name, edit, message) => {
    const start = performance.now();
    const error = await loadModel(withConfig(name, edit)).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toMatch(message);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
