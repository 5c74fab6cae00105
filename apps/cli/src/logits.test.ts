// `gptj logits` against the logits transformers computed (float64) for the small fp32 fixture.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath, readFixtureF32, readFixtureJson } from '@gptj/test-fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './test-support/run-cli.js';

interface Case {
  name: string;
  kind: string;
  input_ids: number[][];
  attention_mask?: number[][];
  positions?: string;
  logits?: { file: string; shape: [number, number, number] };
}
const dir = fixturePath('gptj-small-f32');
const cases = (readFixtureJson('gptj-small-f32', 'reference.json').cases as Case[]).filter((c) => c.logits);
const tmp = mkdtempSync(join(tmpdir(), 'gptj-cli-logits-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('gptj logits equals the transformers fixture', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const out = join(tmp, `${c.name}.f32`);
    const args = ['logits', '--model', dir, '--out', out, ...c.input_ids.flatMap((row) => ['--ids', row.join(',')])];
    for (const row of c.attention_mask ?? []) args.push('--attention-mask', row.join(','));
    const run = await runCli(args);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [b, t] = [c.input_ids.length, c.input_ids[0]!.length];
    const v = c.logits!.shape[2];
    expect(JSON.parse(run.stdout)).toEqual({ shape: [b, t, v] });
    const buf = readFileSync(out);
    const got = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    expect(got.length).toBe(b * t * v);
    const ref = readFixtureF32('gptj-small-f32', c.logits!.file);
    const kept = c.logits!.shape[1]; // "last N" cases store only the last N positions
    let maxRef = 0;
    let maxErr = 0;
    for (let bi = 0; bi < b; bi++) {
      for (let ti = 0; ti < kept; ti++) {
        const pos = t - kept + ti;
        if (c.attention_mask?.[bi]?.[pos] === 0) continue; // padded positions are unspecified
        for (let vi = 0; vi < v; vi++) {
          const r = ref[(bi * kept + ti) * v + vi]!;
          maxRef = Math.max(maxRef, Math.abs(r));
          maxErr = Math.max(maxErr, Math.abs(got[(bi * t + pos) * v + vi]! - r));
        }
      }
    }
    expect(maxRef).toBeGreaterThan(0);
    expect(maxErr).toBeLessThanOrEqual(1e-4 * maxRef);
  });
});

describe('gptj logits --dtype', () => {
  // Weights stored at lower precision, compute in f32: errors relative to the largest reference logit, bounds a few
  // times what this implementation measured (f16 4e-4, bf16 3.4e-3, int8 1.3e-2) and in line with GUIDE section 2.
  const seq40 = cases.find((c) => c.name === 'seq-40')!;
  it.each([
    ['f16', 2e-3],
    ['bf16', 1e-2],
    ['int8', 4e-2],
  ] as const)('%s stays within %f of max |logit| of transformers', async (dtype, bound) => {
    const out = join(tmp, `seq40-${dtype}.f32`);
    const run = await runCli(['logits', '--model', dir, '--dtype', dtype, '--ids', seq40.input_ids[0]!.join(','), '--out', out]);
    expect(run.code).toBe(0);
    const buf = readFileSync(out);
    const got = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const ref = readFixtureF32('gptj-small-f32', seq40.logits!.file);
    let maxRef = 0;
    let maxErr = 0;
    for (let i = 0; i < ref.length; i++) {
      maxRef = Math.max(maxRef, Math.abs(ref[i]!));
      maxErr = Math.max(maxErr, Math.abs(got[i]! - ref[i]!));
    }
    expect(maxErr).toBeGreaterThan(0); // the weights really were stored at lower precision
    expect(maxErr).toBeLessThan(bound * maxRef);
  });
});
