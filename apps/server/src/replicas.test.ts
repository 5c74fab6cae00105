// Replicas behind a load balancer, end to end: two server processes (test-support/serve.mjs) and Debian's nginx on
// loopback. A concurrent streaming load runs through nginx and one replica is killed (SIGKILL) mid-run: every request
// either completes with the text the model gives alone, or fails fast (a 502, or a stream cut before [DONE]); none
// hangs, and the survivor serves everything sent afterwards. Skipped, saying why, where nginx is not installed (CI
// installs it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childServer, type ChildServer } from './test-support/child-server.js';
import { hasNginx, NGINX, startBalancer, type Balancer } from './test-support/nginx.js';

if (!hasNginx) console.warn(`replicas.test.ts: skipped, ${NGINX} is not installed (apt-get install nginx)`);

const PROMPTS = [
  '# Copyright',
  'def fibonacci(n):\n',
  'import os\n',
  'class Node:\n',
  'for i in range(',
  '"""Utilities',
  'def main():\n',
  '#!/usr/bin/env python',
];
const MAX_TOKENS = 60;
/** A request unanswered this long counts as hung. */
const HANG_MS = 30_000;

type Outcome = { kind: 'ok'; text: string; ms: number } | { kind: 'failed'; why: string; ms: number; endedAt: number };

/** One streamed greedy completion through `base`. */
async function streamOnce(base: string, prompt: string): Promise<Outcome> {
  const t0 = Date.now();
  const failed = (why: string): Outcome => ({ kind: 'failed', why, ms: Date.now() - t0, endedAt: Date.now() });
  try {
    const res = await fetch(`${base}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt, max_tokens: MAX_TOKENS, temperature: 0, stream: true }),
      signal: AbortSignal.timeout(HANG_MS),
    });
    if (res.status !== 200) return failed(`status ${res.status}`);
    const raw = await res.text();
    const events = raw
      .split('\n\n')
      .filter(Boolean)
      .map((e) => e.slice('data: '.length));
    if (events.at(-1) !== '[DONE]') return failed('stream cut before [DONE]');
    const text = events
      .slice(0, -1)
      .map((e) => (JSON.parse(e) as { choices: { text: string }[] }).choices[0]?.text ?? '')
      .join('');
    return { kind: 'ok', text, ms: Date.now() - t0 };
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') throw new Error(`request for ${JSON.stringify(prompt)} hung for ${HANG_MS} ms`);
    return failed(String((err as Error).cause ?? err));
  }
}

describe.skipIf(!hasNginx)('two replicas behind nginx', () => {
  let a: ChildServer;
  let b: ChildServer;
  let lb: Balancer;
  const want = new Map<string, string>();

  beforeAll(async () => {
    [a, b] = await Promise.all([childServer(), childServer()]);
    lb = await startBalancer([a.port, b.port]);
    for (const prompt of PROMPTS) {
      const res = await fetch(`${b.base}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt, max_tokens: MAX_TOKENS, temperature: 0 }),
      });
      want.set(prompt, ((await res.json()) as { choices: { text: string }[] }).choices[0]!.text);
    }
  }, 60_000);

  afterAll(async () => {
    a?.child.kill('SIGKILL');
    b?.child.kill('SIGKILL');
    await lb?.stop();
  });

  it('a replica killed mid-run: requests complete correctly or fail fast, none hangs, the survivor keeps serving', async () => {
    let started = 0;
    const load = Array.from({ length: 24 }, (_, i) => PROMPTS[i % PROMPTS.length]!).map(async (prompt) => {
      const outcome = await streamOnce(lb.base, prompt);
      started++;
      return { prompt, outcome };
    });
    // kill replica A while it has streams in flight and more waiting
    for (;;) {
      const h = (await (await fetch(`${a.base}/health`)).json()) as { active: number; queued: number };
      if (h.active > 0 && h.queued > 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    expect(started).toBeLessThan(24);
    const results = await Promise.all(load);

    for (const { prompt, outcome } of results) {
      if (outcome.kind === 'ok') expect(outcome.text).toBe(want.get(prompt));
      // a failure comes within seconds of the kill, not after a timeout
      else expect(outcome.endedAt - killedAt).toBeLessThan(5_000);
    }
    const failed = results.filter((r) => r.outcome.kind === 'failed');
    const ok = results.filter((r) => r.outcome.kind === 'ok');
    expect(ok.length).toBeGreaterThan(0);
    expect(failed.length).toBeGreaterThan(0); // the kill did cut requests in flight
    console.log(
      `replicas: ${ok.length} completed, ${failed.length} failed fast (${[...new Set(failed.map((f) => (f.outcome as { why: string }).why))].join('; ')})`,
    );

    // the survivor takes everything now: nginx skips the dead replica (connection refused -> next upstream)
    const after = await Promise.all(PROMPTS.map((p) => streamOnce(lb.base, p)));
    after.forEach((o, i) => {
      expect(o).toMatchObject({ kind: 'ok', text: want.get(PROMPTS[i]!) });
    });
    expect(await a.exited).toBe('SIGKILL');
  });
});
