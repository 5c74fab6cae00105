// Graceful shutdown in a real process (test-support/serve.mjs, the built app): SIGTERM stops accepting connections,
// lets the stream in flight finish with the same text as before, and exits 0; past the deadline the stream ends
// with a `shutting_down` error event instead, and the process still exits 0.
import { afterEach, describe, expect, it } from 'vitest';
import { childServer, type ChildServer } from './test-support/child-server.js';

let server: ChildServer | undefined;
afterEach(() => {
  server?.child.kill('SIGKILL');
  server = undefined;
});

const body = (max_tokens: number, stream: boolean) => JSON.stringify({ prompt: '# Copyright', max_tokens, temperature: 0, stream });
const post = (base: string, b: string) => fetch(`${base}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: b });

/** The SSE stream's texts joined, and its last event. */
async function readStream(reader: ReadableStreamDefaultReader<Uint8Array>, start: string): Promise<{ text: string; last: string }> {
  let raw = start;
  const decoder = new TextDecoder();
  for (let r = await reader.read(); !r.done; r = await reader.read()) raw += decoder.decode(r.value);
  const events = raw
    .split('\n\n')
    .filter(Boolean)
    .map((e) => e.slice('data: '.length));
  const text = events
    .filter((e) => e !== '[DONE]')
    .map((e) => JSON.parse(e) as { choices?: { text: string }[] })
    .map((e) => e.choices?.[0]?.text ?? '')
    .join('');
  return { text, last: events.at(-1)! };
}

/** Connection refused (or a 503) once the server stopped accepting. */
async function refused(base: string): Promise<boolean> {
  try {
    return (await fetch(`${base}/health`, { headers: { connection: 'close' } })).status === 503;
  } catch {
    return true;
  }
}

describe('installGracefulShutdown', () => {
  it('SIGTERM: no new connections, the stream in flight completes, exit code 0', async () => {
    server = await childServer();
    const want = ((await (await post(server.base, body(150, false))).json()) as { choices: { text: string }[] }).choices[0]!.text;
    const reader = (await post(server.base, body(150, true))).body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    server.child.kill('SIGTERM');
    const end = Date.now() + 5_000;
    while (!(await refused(server.base))) {
      expect(Date.now()).toBeLessThan(end);
      await new Promise((r) => setTimeout(r, 20));
    }
    const { text, last } = await readStream(reader, first);
    expect(last).toBe('[DONE]');
    expect(text).toBe(want);
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(/SIGTERM: draining \(1 generating, 0 queued/);
  });

  it('past the deadline the stream ends with a shutting_down error event, and the process still exits 0', async () => {
    // 1 ms: no stream of hundreds of tokens ends in it (at 200 ms a 450-token stream outran it once generation got faster)
    server = await childServer({ deadlineMs: 1 });
    const reader = (await post(server.base, body(450, true))).body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const t0 = Date.now();
    server.child.kill('SIGTERM');
    const { last } = await readStream(reader, first);
    expect(JSON.parse(last)).toMatchObject({ error: { code: 'shutting_down', type: 'server_error' } });
    expect(await server.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});
