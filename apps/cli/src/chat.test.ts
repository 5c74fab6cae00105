// `gptj chat` through a spawned process with piped stdin: history, /reset, and Ctrl-C stopping a reply only.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { chatPrompt } from './chat-template.js';
import { mainJs, runCli } from './test-support/run-cli.js';

const greedy = ['-t', '0', '-n', '12'];
/** The replies in a chat's stdout: each follows the "gptj> " marker and ends with a newline. */
const replies = (stdout: string) =>
  stdout
    .split('gptj> ')
    .slice(1)
    .map((r) => r.replace(/\n$/, ''));

describe('gptj chat', () => {
  it('two turns and a /reset: each reply is `gptj generate` on the template with the history so far', async () => {
    const [m1, m2] = ['def add(a, b):', 'and multiply?'];
    const run = await runCli(['chat', ...greedy], { input: `${m1}\n${m2}\n/reset\n${m2}\n` });
    expect(run.code).toBe(0);
    const [r1, r2, r3] = replies(run.stdout);
    expect(replies(run.stdout)).toHaveLength(3);
    expect(run.stderr).toBe('gptj: conversation reset\n');
    const generate = async (prompt: string) => (await runCli(['generate', prompt, ...greedy, '--stop', '\nUser:'])).stdout.replace(/\n$/, '');
    expect(r1).toBe(await generate(chatPrompt([], m1)));
    expect(r2).toBe(await generate(chatPrompt([{ user: m1, assistant: r1!.trim() }], m2)));
    expect(r3).toBe(await generate(chatPrompt([], m2))); // the reset dropped the first turn
  }, 120_000);

  it('Ctrl-C stops the reply being written, not the program', async () => {
    const child = spawn(process.execPath, [mainJs, 'chat', '-t', '0', '-n', '400'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // Interrupt as soon as the reply has begun (text past the first prompt): a fixed delay after the prompt
    // landed after the whole 400-token reply on a quiet machine, where Ctrl-C at the prompt rightly exits.
    let sent = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!sent && stdout.replace(/^gptj> /, '').length > 0) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stdin.write('def add(a, b):\n');
    const stopped = await new Promise<boolean>((resolve) => {
      const poll = setInterval(() => {
        if (stderr.includes('gptj: reply stopped\n')) {
          clearInterval(poll);
          resolve(true);
        }
      }, 20);
      child.on('close', () => resolve(false));
    });
    expect(stopped).toBe(true);
    child.stdin.end('/exit\n');
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
  }, 60_000);
});
