// `gptj chat` in a real terminal (a tmux pane, so stdin is a pty and readline runs in terminal mode), asserting
// what the screen shows: two turns and a /reset, and Ctrl-C typed during a reply. chat.test.ts drives the same
// command through piped stdin, where readline and Ctrl-C take other paths.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { chatPrompt } from './chat-template.js';
import { mainJs, runCli } from './test-support/run-cli.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const greedy = ['-t', '0', '-n', '12'];

/** One tmux server of our own (its own socket), so the test never touches a user's sessions. */
class Terminal {
  private readonly socket = `gptj-chat-pty-${randomUUID()}`;

  constructor(args: string[]) {
    // the shell line reports the exit status on screen and keeps the pane open for the last capture
    const line = [process.execPath, mainJs, ...args].map((a) => `'${a}'`).join(' ');
    this.tmux('new-session', '-d', '-x', '200', '-y', '100', '-s', 'chat', `FORCE_COLOR=0 ${line}; echo "[exit $?]"; sleep 600`);
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }

  /** What the terminal shows, wrapped lines joined, trailing blank lines dropped. */
  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'chat').replace(/\n+$/, '');
  }

  type(text: string): void {
    this.tmux('send-keys', '-t', 'chat', '-l', text);
    this.tmux('send-keys', '-t', 'chat', 'Enter');
  }

  ctrlC(): void {
    this.tmux('send-keys', '-t', 'chat', 'C-c');
  }

  /** Polls the screen until `done` holds (or fails with what the screen shows). */
  async waitFor(done: (screen: string) => boolean, what: string, timeoutMs = 60_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = this.screen();
      if (done(s)) return s;
      if (Date.now() > end) throw new Error(`terminal never showed ${what}; it shows:\n${s}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}

const count = (s: string, part: string) => s.split(part).length - 1;
/** The replies on screen: the text after each "gptj> ", up to the next prompt or status line. */
const replies = (screen: string) =>
  screen
    .split('gptj> ')
    .slice(1)
    .map((r) => r.split(/\n(?=you> |gptj: |\[exit)/)[0]!);
/** As a terminal shows text: no trailing spaces on a line. */
const asShown = (text: string) => text.replace(/[ \t]+$/gm, '');

describe.skipIf(!hasTmux)('gptj chat in a terminal (tmux)', () => {
  let term: Terminal | undefined;
  afterEach(() => term?.close());

  it('two turns and a /reset: replies stream after "gptj> ", and the turn after /reset has no earlier turns', async () => {
    const [m1, m2] = ['def add(a, b):', 'and multiply?'];
    term = new Terminal(['chat', ...greedy]);
    const t = term;
    await t.waitFor((s) => s.includes('you> '), 'the first prompt');
    expect(t.screen()).toContain('/reset forgets the conversation, /exit (or Ctrl-D) leaves, Ctrl-C stops a reply');
    t.type(m1);
    await t.waitFor((s) => count(s, 'you> ') === 2, 'the second prompt');
    t.type(m2);
    await t.waitFor((s) => count(s, 'you> ') === 3, 'the third prompt');
    t.type('/reset');
    await t.waitFor((s) => s.includes('gptj: conversation reset') && count(s, 'you> ') === 4, 'the reset');
    t.type(m2);
    await t.waitFor((s) => count(s, 'you> ') === 5, 'the fifth prompt');
    t.type('/exit');
    const screen = await t.waitFor((s) => s.includes('[exit '), 'the exit');
    expect(screen).toContain('[exit 0]');
    // what the user typed is echoed after each prompt
    for (const m of [m1, m2, '/reset', m2, '/exit']) expect(screen).toContain(`you> ${m}`);
    const [r1, r2, r3] = replies(screen);
    expect(replies(screen)).toHaveLength(3);
    const generate = async (prompt: string) => (await runCli(['generate', prompt, ...greedy, '--stop', '\nUser:'])).stdout.replace(/\n$/, '');
    const g1 = await generate(chatPrompt([], m1));
    expect(r1).toBe(asShown(g1));
    expect(r2).toBe(asShown(await generate(chatPrompt([{ user: m1, assistant: g1.trim() }], m2))));
    // after /reset the prompt is the template with this message alone, and the reply differs from turn 2's
    expect(r3).toBe(asShown(await generate(chatPrompt([], m2))));
    expect(r3).not.toBe(r2);
  }, 180_000);

  it('Ctrl-C during a reply stops the reply, not the program', async () => {
    term = new Terminal(['chat', '-t', '0', '-n', '400']);
    const t = term;
    await t.waitFor((s) => s.includes('you> '), 'the first prompt');
    t.type('def add(a, b):');
    // the reply streams: part of it is on screen while it is still being written
    const partial = await t.waitFor((s) => /gptj> [^\n]*\S/.test(s), 'the start of the reply');
    t.ctrlC();
    const screen = await t.waitFor((s) => s.includes('gptj: reply stopped') && count(s, 'you> ') === 2, 'the stopped reply and a new prompt');
    expect(screen).not.toContain('[exit');
    expect(replies(screen)[0]!.startsWith(replies(partial)[0]!.trimEnd())).toBe(true);
    // the program still answers
    t.type('/exit');
    expect(await t.waitFor((s) => s.includes('[exit '), 'the exit')).toContain('[exit 0]');
  }, 120_000);
});

if (!hasTmux) it.skip('gptj chat in a terminal: skipped, tmux is not installed', () => {});
