// A progress bar hides the terminal cursor; Ctrl-C or SIGTERM while one is shown must show it again.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const progressJs = new URL('../dist/progress.js', import.meta.url).href;
const HIDE = '\x1b[?25l';
const SHOW = '\x1b[?25h';

// A child that draws a bar on a stream posing as a terminal (copied to its stdout), then waits to be signalled.
const child = `
import { Writable } from 'node:stream';
const { createProgress } = await import(${JSON.stringify(progressJs)});
const tty = new Writable({ write(chunk, _e, done) { process.stdout.write(chunk); done(); } });
Object.assign(tty, { isTTY: true, columns: 100 });
createProgress(tty).update('eval', 3, 10);
process.stdout.write('READY');
setInterval(() => {}, 1000);
`;

function signalled(signal: NodeJS.Signals): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', child], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.endsWith('READY')) p.kill(signal);
    });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out }));
  });
}

describe('interrupts', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s while a bar is drawn shows the cursor again and exits %i', async (signal, status) => {
    const { code, out } = await signalled(signal);
    expect(out).toContain(HIDE);
    expect(out.lastIndexOf(SHOW)).toBeGreaterThan(out.indexOf('READY'));
    expect(code).toBe(status);
  });
});
