// `gptj tokenize` / `gptj detokenize` against transformers' ids for the mini-code prompts, and round trips.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miniCodeSamples } from '@gptj/test-fixtures';
import { miniCodeDir } from '@gptj/mini-code';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './test-support/run-cli.js';

const samples = miniCodeSamples();
const tmp = mkdtempSync(join(tmpdir(), 'gptj-cli-tok-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const tricky = 'naïve café — 你好 🤖\n\tdef f(x):  return x  # <|endoftext|> 12345\r\n';

describe('gptj tokenize / detokenize', () => {
  it.each(samples.map((s) => [s.prompt, s] as const))('encodes %j as transformers did', async (_p, s) => {
    const json = await runCli(['tokenize', s.prompt, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ ids: s.prompt_ids, count: s.prompt_ids.length });
  });

  it("prints comma-separated ids, also with a model directory's own tokenizer files", async () => {
    const s = samples[2]!;
    const plain = await runCli(['tokenize', s.prompt, '--model', miniCodeDir]);
    expect(plain.stdout).toBe(`${s.prompt_ids.join(',')}\n`);
  });

  it('decodes transformers ids to the stored completion', async () => {
    const s = samples[0]!;
    const run = await runCli(['detokenize', '--ids', s.new_ids.join(','), '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ text: s.completion });
  });

  it('round-trips text from stdin and from --file byte for byte', async () => {
    const fromStdin = await runCli(['tokenize'], { input: tricky });
    const ids = fromStdin.stdout.trim();
    const file = join(tmp, 'tricky.txt');
    writeFileSync(file, tricky);
    expect((await runCli(['tokenize', '--file', file])).stdout.trim()).toBe(ids);
    const back = await runCli(['detokenize', '--ids', ids]);
    expect(back.code).toBe(0);
    expect(back.stdout).toBe(tricky); // not a TTY: no newline added
  });

  it('rejects an id outside the vocabulary', async () => {
    const run = await runCli(['detokenize', '--ids', '1,50400']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/token id 50400 is out of range/);
  });
});
