// The gptj-server binary's own flags (startServer behind it): usage errors, --log-format, --threads, a path-like
// --model never sent to the hub. `gptj serve` (apps/cli) runs the same start-up against a mock hub.
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runServerBinary } from './test-support/server-binary.js';

/** gptj-server with `args`; nothing listens on port 9, so a request to the hub would fail loudly. */
const server = (args: string[]) => runServerBinary(args, { HF_ENDPOINT: 'http://127.0.0.1:9' });

describe('gptj-server flags', () => {
  it('bad values are usage errors (exit 2) naming the flag', async () => {
    for (const [args, words] of [
      [['--threads', '0'], '--threads must be an integer in 1..1024, got "0"'],
      [['--parallel', 'x'], '--parallel must be an integer in 1..1024, got "x"'],
      [['--log-format', 'xml'], '--log-format must be one of pretty, json, got "xml"'],
      [['--revison', 'float16'], "Unknown option '--revison'"],
      [['--dtype', 'q5'], '--dtype must be one of auto, f32, f16, bf16, int8, q8, q4, got "q5"'],
    ] as const) {
      const r = await server([...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(words);
    }
  });

  it('--log-format pretty writes readable lines; the default off a terminal is JSON; SIGTERM drains and exits 0', async () => {
    const pretty = await server(['--log-format', 'pretty']);
    expect(pretty.code).toBe(0);
    expect(pretty.stdout).toMatch(/INFO.*Server listening at http:\/\/127\.0\.0\.1:\d+/);
    expect(pretty.stdout).not.toMatch(/^\{/m);
    const json = await server([]);
    expect(json.code).toBe(0);
    for (const line of json.stdout.trim().split('\n')) expect(JSON.parse(line)).toHaveProperty('msg');
  });

  it('--threads above the cores is capped, with one warning in the log', async () => {
    const r = await server(['--threads', String(availableParallelism() + 3)]);
    expect(r.code).toBe(0);
    const capped = r.stdout.split('\n').filter((l) => l.includes('GPTJ_THREADS_CAPPED'));
    expect(capped).toHaveLength(1);
    expect(JSON.parse(capped[0]!).msg).toBe(
      `threads ${availableParallelism() + 3} is more than the ${availableParallelism()} available cores; using ${availableParallelism()}`,
    );
  });

  it('--dtype q4 loads the 4-bit model and serves (q4 on CUDA is refused in @gptj/model, load-q4.test.ts)', async () => {
    const r = await server(['--dtype', 'q4']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('listening on');
  });

  it('a --model that looks like a path is not sent to the hub', async () => {
    const r = await server(['--model', './no-such-dir', '--revision', 'float16']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('gptj-server: --model ./no-such-dir: the directory does not exist\n');
  });
});
