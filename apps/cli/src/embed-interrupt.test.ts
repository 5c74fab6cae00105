// Ctrl-C during `gptj embed`: one line saying how far it got, exit 130, and no half-written --out.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mainJs } from './test-support/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'gptj-cli-embed-int-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const TOTAL = 4000;

describe('gptj embed interrupted', () => {
  it('says how many inputs it embedded before Ctrl-C, exits 130 and writes nothing', async () => {
    // 4000 inputs of 200 tokens: tens of seconds of work on the demo model
    const file = join(tmp, 'many.jsonl');
    writeFileSync(
      file,
      Array.from({ length: TOTAL }, (_, i) => JSON.stringify({ ids: Array.from({ length: 200 }, (_, j) => (i + j) % 1000) })).join('\n') + '\n',
    );
    const out = join(tmp, 'vectors.f32');
    const child = spawn(process.execPath, [mainJs, 'embed', '--file', file, '--format', 'f32', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGINT'), 4000); // the model loads in well under a second
    const code = await new Promise((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    expect(code).toBe(130);
    const m = /^gptj: interrupted: (\d+) of 4000 inputs embedded; nothing written\n$/.exec(stderr);
    expect(m, stderr).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(TOTAL);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
