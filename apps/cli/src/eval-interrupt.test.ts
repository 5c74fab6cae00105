// Ctrl-C during `gptj eval`: the summary of the examples scored so far is printed, marked interrupted.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { mainJs } from './test-support/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'gptj-cli-eval-int-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const pairs = readFileSync(fileURLToPath(new URL('../test-data/mini-code-eval.jsonl', import.meta.url)), 'utf8');
const TOTAL = 4000;

describe('gptj eval interrupted', () => {
  it('prints the summary of what it scored before Ctrl-C and exits 130', async () => {
    const file = join(tmp, 'many.jsonl');
    const lines = pairs.trim().split('\n');
    writeFileSync(file, Array.from({ length: TOTAL }, (_, i) => lines[i % lines.length]).join('\n') + '\n');
    const child = spawn(process.execPath, [mainJs, 'eval', '--file', file, '--batch-size', '1', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGINT'), 6000); // the model loads in well under a second
    const code = await new Promise((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    expect(code).toBe(130);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ interrupted: true, examples_total: TOTAL });
    expect(summary.examples).toBeGreaterThan(0);
    expect(summary.examples).toBeLessThan(TOTAL);
    expect(stderr).toBe(`gptj: interrupted: ${summary.examples} of ${TOTAL} examples scored; the summary covers those\n`);
  }, 60_000);

  it('--perplexity prints the perplexity of the windows scored before Ctrl-C and exits 130', async () => {
    const file = join(tmp, 'long.py');
    writeFileSync(file, 'def fibonacci(n):\n    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)\n'.repeat(600));
    // stride 1: one window per token (about 18,000), each scoring one new token after the first window's 7
    const child = spawn(process.execPath, [mainJs, 'eval', '--perplexity', file, '--max-length', '8', '--stride', '1', '--batch-size', '1', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGINT'), 6000);
    const code = await new Promise((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    expect(code).toBe(130);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ interrupted: true, max_length: 8, stride: 1 });
    expect(summary.windows).toBeGreaterThan(0);
    expect(summary.windows).toBeLessThan(summary.windows_total);
    expect(summary.scored_tokens).toBe(7 + summary.windows - 1);
    expect(summary.perplexity).toBeCloseTo(Math.exp(summary.nll / summary.scored_tokens), 10);
    expect(stderr).toBe(`gptj: interrupted: ${summary.windows} of ${summary.windows_total} windows scored; the summary covers those\n`);
  }, 60_000);
});
