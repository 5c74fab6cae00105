// `gptj serve --revision R --model org/name` against a local mock hub: the model is downloaded at that revision
// into --cache-dir, served, answers a completion (greedy ids equal to transformers' in the fixture), logs JSON
// lines when stdout is not a terminal, and drains on SIGTERM (exit 0).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from '@gptj/test-fixtures';
import { Tokenizer } from '@gptj/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockHub, type MockHub } from './test-support/mock-hub.js';
import { mainJs } from './test-support/run-cli.js';

const fixture = fixturePath('gptj-small-f32');
const greedy = (
  JSON.parse(readFileSync(join(fixture, 'reference.json'), 'utf8')) as { cases: { kind: string; prompt_ids: number[]; new_ids: number[] }[] }
).cases.find((c) => c.kind === 'greedy')!;
const tmp = mkdtempSync(join(tmpdir(), 'gptj-cli-serve-'));
let hub: MockHub;
beforeAll(async () => {
  hub = await startMockHub({ repo: 'test-org/small', dir: fixture, revision: 'float16', commit: 'f16commit' });
});
afterAll(() => {
  hub.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('gptj serve', () => {
  it('serves a hub model at --revision from a mock hub, answers a completion, drains on SIGTERM', async () => {
    const args = ['serve', '--model', 'test-org/small', '--revision', 'float16', '--cache-dir', tmp, '--port', '0', '--threads', '1', '--parallel', '2'];
    const child = spawn(process.execPath, [mainJs, ...args], { env: { ...process.env, HF_ENDPOINT: hub.endpoint }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const base = await new Promise<string>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        const m = /gptj: serving on (http:\/\/127\.0\.0\.1:\d+) /.exec(stderr);
        if (m) resolve(m[1]!);
      });
      void closed.then((code) => reject(new Error(`gptj serve exited ${code}: ${stderr}`)));
    });
    try {
      expect(hub.requested.length).toBeGreaterThan(0);
      expect(hub.requested.every((r) => r.includes('/test-org/small/resolve/float16/'))).toBe(true);
      const res = await fetch(`${base}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'test-org/small', prompt: greedy.prompt_ids, max_tokens: 8, temperature: 0 }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { model: string; choices: { text: string }[] };
      expect(body.model).toBe('small');
      expect(body.choices[0]!.text).toBe(Tokenizer.gptj().decode(greedy.new_ids.slice(0, 8)));
    } finally {
      child.kill('SIGTERM');
    }
    expect(await closed).toBe(0);
    // not a terminal: one JSON object per log line
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('level');
    expect(stdout).toMatch(/SIGTERM: draining/);
  }, 60_000);

  it('a --model that looks like a path is never sent to the hub', async () => {
    const before = hub.requested.length;
    const child = spawn(process.execPath, [mainJs, 'serve', '--model', './no-such-dir', '--port', '0'], {
      env: { ...process.env, HF_ENDPOINT: hub.endpoint },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(stderr).toBe('gptj: error: --model ./no-such-dir: the directory does not exist\n');
    expect(hub.requested.length).toBe(before);
  });
});
