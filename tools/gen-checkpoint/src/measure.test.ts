import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const measure = fileURLToPath(new URL('../dist/measure.js', import.meta.url));
const miniCode = fileURLToPath(new URL('../../../packages/mini-code/checkpoint', import.meta.url));

describe('gptj-measure-load', () => {
  // It measured a forward of 0 tokens (Number('abc') is NaN, an Array of length NaN is empty) and exited 0.
  it.each(['abc', '0', '2.5'])('refuses --tokens %s before loading, with exit code 2', (tokens) => {
    const run = spawnSync(process.execPath, [measure, miniCode, '--tokens', tokens], { encoding: 'utf8' });
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`--tokens must be a positive integer, got '${tokens}'`);
    expect(run.status).toBe(2);
  });
});
