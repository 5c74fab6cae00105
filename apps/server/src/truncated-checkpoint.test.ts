// A checkpoint truncated in place under a running server (memory-mapped, the default): the next request gets a
// typed 500 naming the file and the server keeps answering, where it used to die of SIGBUS with nothing logged
// and an empty reply. The server runs in a child process (dist/main.js), so a crash cannot take vitest down.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const checkpoint = fileURLToPath(new URL('../../../packages/mini-code/checkpoint', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gptj-truncated-'));
const shard = join(dir, 'model-00001-of-00003.safetensors');
let server: ChildProcess;
let base: string;
let stderr = '';

beforeAll(async () => {
  cpSync(checkpoint, dir, { recursive: true });
  server = spawn(process.execPath, [fileURLToPath(new URL('../dist/main.js', import.meta.url)), '--model', dir, '--port', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  base = await new Promise<string>((resolve, reject) => {
    server.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url) resolve(url.replace(/\s*\(.*$/, ''));
    });
    server.once('exit', (code, signal) => reject(new Error(`server exited (${code ?? signal}) before listening: ${stderr}`)));
  });
});

afterAll(() => {
  server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

const complete = () =>
  fetch(`${base}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'def fibonacci(n):', max_tokens: 4, temperature: 0 }),
  });

describe('a checkpoint truncated while the server has it mapped', () => {
  it('answers a typed 500 naming the file, keeps serving /v1/models, and does not die', async () => {
    expect((await complete()).status).toBe(200);

    truncateSync(shard, Math.floor(statSync(shard).size / 2));
    const res = await complete();
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { message: string; type: string } };
    expect(body.error.type).toBe('server_error');
    expect(body.error.message).toContain(`'${shard}', which was truncated while memory-mapped`);
    expect(body.error.message).toMatch(/--no-mmap/);

    const models = await fetch(`${base}/v1/models`);
    expect(models.status).toBe(200);
    expect(server.exitCode).toBeNull();
    expect(server.signalCode).toBeNull();
  });
});
