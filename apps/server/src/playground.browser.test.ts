// The playground end to end in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core; no browser is
// ever downloaded): type a prompt, generate streamed, stop a long generation, read the token probabilities (checked
// against the API's logprobs for the same greedy request), chat, reload, reset. Greedy text is checked against
// transformers' completions (mini-code-samples.json). Screenshots go to apps/server/.artifacts/ (gitignored).
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { miniCodeSample } from '@gptj/test-fixtures';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listening, type Listening } from './test-support/listening.js';

const CHROMIUM = process.env.GPTJ_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = fileURLToPath(new URL('../.artifacts/', import.meta.url));

const fibonacci = miniCodeSample('def fibonacci(n):\n');

// The page's document, as the predicates below use it: they run in the browser, and this file is type-checked
// without the DOM's types. (Not strings: the page's content security policy forbids eval.)
declare const document: { querySelector(selector: string): { textContent: string | null; matches(selector: string): boolean } | null };
const modelShown = () => document.querySelector('#model')?.textContent !== '…';

const found = existsSync(CHROMIUM);
const hasCurl = spawnSync('sh', ['-c', 'command -v curl']).status === 0;
if (found && !hasCurl) console.log('playground curl check skipped: no curl on PATH');
if (!found) console.log(`playground browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set GPTJ_CHROMIUM)`);

/** A reverse proxy serving `target` under /gptj/, as one may put the server behind a path prefix. */
async function prefixProxy(target: string): Promise<{ base: string; server: Server }> {
  const upstream = new URL(target);
  const server = createHttpServer((req, res) => {
    if (!req.url?.startsWith('/gptj/')) {
      res.writeHead(404).end();
      return;
    }
    const up = httpRequest(
      { host: upstream.hostname, port: upstream.port, path: req.url.slice('/gptj'.length), method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    req.pipe(up);
    res.on('close', () => up.destroy()); // a client that goes away (Stop) goes away upstream too
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/gptj`, server };
}

/** What the tooltip shows for the hovered token: its text and percentage, and each alternative's. */
interface Shown {
  token: string;
  percent: string;
  alternatives: { token: string; percent: string }[];
}

/** Checks a percentage as the page prints it ("12.3%", "0.0412%", ">99.9%") against a logprob, to its printed precision. */
function expectPercent(shown: string, logprob: number): void {
  const p = Math.exp(logprob) * 100;
  if (shown === '>99.9%') {
    expect(p).toBeGreaterThanOrEqual(99.95);
    return;
  }
  const digits = shown.replace('%', '');
  const decimals = digits.includes('.') ? digits.split('.')[1]!.length : 0;
  const halfUnit = 0.5 * 10 ** -decimals;
  // the printed value is within half a unit of its last digit (and the browser's Math.exp of its last bit)
  expect(Math.abs(Number(digits) - p)).toBeLessThanOrEqual(halfUnit * (1 + 1e-9));
}

describe.skipIf(!found)('the playground in headless Chromium', () => {
  let server: Listening;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const outside: string[] = [];
  /** The origins (with path) the page may load from: the server, and the prefix proxy of the last test. */
  const allowed: string[] = [];
  const pageErrors: string[] = [];
  const eventStreams: string[] = [];

  beforeAll(async () => {
    server = await listening();
    allowed.push(server.base);
    userDataDir = mkdtempSync(join(tmpdir(), 'gptj-chromium-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 860 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000); // a page that never gets there fails with playwright's message, within the test's time
    page.on('request', (r) => {
      if (!allowed.some((base) => r.url().startsWith(`${base}/`)) && !r.url().startsWith('data:')) outside.push(r.url());
    });
    page.on('response', (r) => {
      if (r.headers()['content-type']?.startsWith('text/event-stream')) eventStreams.push(new URL(r.url()).pathname);
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${server.base}/`);
    await page.waitForFunction(modelShown);
  });

  afterAll(async () => {
    await context?.close();
    await server?.app.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  /** A completions request as the page sends it, answered as JSON (the openai client's types lack top_k). */
  const complete = async <T>(body: Record<string, unknown>): Promise<T> =>
    (await (
      await fetch(`${server.base}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    ).json()) as T;
  const screenshot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `playground-${name}.png`) });
  const setOption = (field: string, value: string) => page.fill(`#opt-${field}`, value);
  const finished = () =>
    page.waitForFunction(() => document.querySelector('#finish')?.textContent !== '–' && document.querySelector('#stop')?.matches(':disabled') === true);

  /** Hovers the token span and reads the tooltip. */
  async function hover(selector: string, index: number): Promise<Shown> {
    await page.locator(selector).nth(index).hover();
    await page.waitForSelector('#tooltip:not([hidden])');
    return page.$eval('#tooltip', (tip) => ({
      token: tip.querySelector('.tip-head code')!.textContent!,
      percent: tip.querySelector('.tip-head .pct')!.textContent!.split(' ')[0]!,
      alternatives: [...tip.querySelectorAll('.alts li')].map((li) => ({
        token: li.querySelector('code')!.textContent!,
        percent: li.querySelector('.pct')!.textContent!,
      })),
    }));
  }

  it("counts the prompt's tokens and streams a greedy completion equal to transformers', with time to first token and speed", async () => {
    expect(await page.textContent('#model')).toBe('gptj-mini-code');
    await page.fill('#prompt', fibonacci.prompt);
    // the prompt's length as transformers' tokenizer counts it, and the room the 512-token context leaves
    const n = fibonacci.prompt_ids.length;
    await expect.poll(() => page.textContent('#prompt-tokens')).toBe(`${n} tokens · ${512 - n} left for the completion`);
    await setOption('temperature', '0');
    await setOption('max_tokens', String(fibonacci.new_ids.length));
    expect(await page.isChecked('#stream')).toBe(true);
    await page.click('#generate');
    await finished();
    expect(await page.textContent('#output .generated')).toBe(fibonacci.completion);
    expect(await page.textContent('#output .prompt')).toBe(fibonacci.prompt);
    expect(await page.textContent('#tokens')).toBe(String(fibonacci.new_ids.length));
    expect(await page.textContent('#finish')).toBe('length');
    expect(await page.textContent('#ttft')).toMatch(/^\d+ ms$/);
    expect(await page.textContent('#speed')).toMatch(/^\d+\.\d tok\/s$/);
    expect(eventStreams).toEqual(['/v1/completions']);
    await screenshot('completion');
  });

  it('stops a long generation with the Stop button, and the server is free for the next request at once', async () => {
    await page.fill('#prompt', '# Copyright');
    await setOption('temperature', '1');
    await setOption('seed', '7');
    await setOption('max_tokens', '480');
    await page.click('#generate');
    await page.waitForFunction(() => (document.querySelector('#output .generated')?.textContent ?? '').length > 0);
    await page.click('#stop');
    await expect.poll(() => page.textContent('#status')).toBe('stopped');
    expect(await page.textContent('#finish')).toBe('stopped');
    expect(Number(await page.textContent('#tokens'))).toBeLessThan(480);
    expect(await page.isEnabled('#generate')).toBe(true);
    await screenshot('stopped');
    const start = performance.now();
    const r = await server.client.completions.create({ model: 'gptj-mini-code', prompt: '# Copyright', max_tokens: 4, temperature: 0 });
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(performance.now() - start).toBeLessThan(5000);
  });

  it("shows n sampled completions (top k set), each equal to the API's for the same seed, and appends one to the prompt", async () => {
    await page.fill('#prompt', '# Copyright');
    await setOption('temperature', '0.8');
    await setOption('seed', '11');
    await setOption('max_tokens', '12');
    await setOption('top_k', '5');
    await setOption('n', '2');
    await page.click('#generate');
    await finished();
    const api = await complete<{ choices: { index: number; text: string }[] }>({
      prompt: '# Copyright',
      temperature: 0.8,
      seed: 11,
      max_tokens: 12,
      top_k: 5,
      n: 2,
    });
    const texts = api.choices.sort((a, b) => a.index - b.index).map((c) => c.text);
    expect(await page.locator('#output .choice .generated').allTextContents()).toEqual(texts);
    await screenshot('n-choices');
    await page.locator('#output .choice button').nth(1).click();
    expect(await page.inputValue('#prompt')).toBe(`# Copyright${texts[1]}`);
    await page.fill('#prompt', '# Copyright');
    await setOption('n', '');
    await setOption('top_k', '');
  });

  it('constrains the output to one JSON object with "JSON output", as the API does', async () => {
    await page.fill('#prompt', 'config = ');
    await setOption('seed', '');
    await setOption('temperature', '0');
    await setOption('max_tokens', '100');
    await page.check('#json');
    await page.click('#generate');
    await finished();
    const api = await complete<{ choices: { text: string; finish_reason: string }[] }>({
      prompt: 'config = ',
      temperature: 0,
      max_tokens: 100,
      response_format: { type: 'json_object' },
    });
    expect(api.choices[0]!.finish_reason).toBe('stop');
    const text = await page.textContent('#output .generated');
    expect(text).toBe(api.choices[0]!.text);
    expect(JSON.parse(text!)).toBeTypeOf('object');
    await screenshot('json');
    await page.uncheck('#json');
    await page.fill('#prompt', '# Copyright');
  });

  it('colours each token by the probability the API gives it and shows the same alternatives on hover', async () => {
    await setOption('seed', '');
    await setOption('temperature', '0');
    await setOption('max_tokens', '16');
    await page.check('#probs');
    await page.fill('#top-logprobs', '5');
    const streams = eventStreams.length;
    await page.click('#generate');
    await finished();
    // the probabilities arrived with the tokens, streamed
    expect(eventStreams.slice(streams)).toEqual(['/v1/completions']);
    expect(await page.textContent('#ttft')).toMatch(/^\d+ ms$/);
    const api = await complete<{ choices: { logprobs: { tokens: string[]; token_logprobs: number[]; top_logprobs: Record<string, number>[] } }[] }>({
      prompt: '# Copyright',
      max_tokens: 16,
      temperature: 0,
      logprobs: 5,
    });
    const lp = api.choices[0]!.logprobs;
    const spans = page.locator('#output .tok');
    expect(await spans.allTextContents()).toEqual(lp.tokens);
    const colours = await spans.evaluateAll((els) => els.map((e) => Number(e.style.getPropertyValue('--p'))));
    // streamed and whole responses carry the same numbers (the decode step's), so only Math.exp's last bit may differ
    colours.forEach((p, i) => {
      expect(p).toBeCloseTo(Math.exp(lp.token_logprobs[i]!), 12);
    });
    for (let i = 0; i < lp.tokens.length; i++) {
      const shown = await hover('#output .tok', i);
      expect(shown.token).toBe(JSON.stringify(lp.tokens[i]));
      expectPercent(shown.percent, lp.token_logprobs[i]!);
      const alternatives = Object.entries(lp.top_logprobs[i]!).sort((a, b) => b[1] - a[1]);
      expect(shown.alternatives.map((a) => a.token)).toEqual(alternatives.map(([t]) => JSON.stringify(t)));
      shown.alternatives.forEach((a, j) => {
        expectPercent(a.percent, alternatives[j]![1]);
      });
    }
    // the least likely token, with its tooltip open
    await hover('#output .tok', lp.token_logprobs.indexOf(Math.min(...lp.token_logprobs)));
    await screenshot('probabilities');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot('probabilities-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.mouse.move(0, 0);
  });

  it.skipIf(!hasCurl)('shows the last request as a curl command that streams the same text', async () => {
    await page.uncheck('#probs');
    await page.fill('#prompt', '# Copyright');
    await setOption('temperature', '0');
    await setOption('max_tokens', '12');
    await setOption('stop', "it's"); // a quote for the shell quoting to get right
    await page.click('#generate');
    await finished();
    await page.click('.request summary');
    const curl = (await page.textContent('#curl'))!;
    expect(curl.startsWith(`curl ${server.base}/v1/completions -H 'content-type: application/json' -N -d '`)).toBe(true);
    const { stdout } = await promisify(execFile)('sh', ['-c', curl]);
    const events = stdout.split('\n\n').filter((e) => e.startsWith('data: {'));
    const text = events.map((e) => (JSON.parse(e.slice('data: '.length)) as { choices: { text: string }[] }).choices[0]!.text).join('');
    expect(text.trim()).not.toBe('');
    expect(text).toBe(await page.textContent('#output .generated'));
    await screenshot('curl');
    await page.click('.request summary');
    await setOption('stop', '');
  });

  it("chats: streams a reply, shows a reply's probabilities, keeps the conversation over a reload, and resets", async () => {
    await page.uncheck('#probs');
    await setOption('max_tokens', '24');
    await page.click('#mode-chat');
    expect(await page.textContent('#endpoint')).toBe('POST /v1/chat/completions');
    const question = 'Write a function that adds two numbers.';
    await page.fill('#composer', question);
    await page.click('#send');
    await finished();
    const messages = page.locator('#messages > li');
    await expect.poll(() => messages.count()).toBe(2);
    const reply = await server.client.chat.completions.create({
      model: 'gptj-mini-code',
      messages: [{ role: 'user', content: question }],
      max_tokens: 24,
      temperature: 0,
    });
    expect(await messages.nth(0).locator('textarea').inputValue()).toBe(question);
    expect(await messages.nth(1).locator('select').inputValue()).toBe('assistant');
    expect(await messages.nth(1).locator('textarea').inputValue()).toBe(reply.choices[0]!.message.content);
    expect(eventStreams.at(-1)).toBe('/v1/chat/completions');

    // a second turn, with probabilities: the reply's tokens and alternatives are the API's
    await page.check('#probs');
    const followUp = 'Now one that subtracts.';
    await page.fill('#composer', followUp);
    await page.click('#send');
    await finished();
    await expect.poll(() => messages.count()).toBe(4);
    const history = [
      { role: 'user' as const, content: question },
      { role: 'assistant' as const, content: reply.choices[0]!.message.content! },
      { role: 'user' as const, content: followUp },
    ];
    const scored = await server.client.chat.completions.create({
      model: 'gptj-mini-code',
      messages: history,
      max_tokens: 24,
      temperature: 0,
      logprobs: true,
      top_logprobs: 5,
    });
    const content = scored.choices[0]!.logprobs!.content!;
    const tokens = messages.nth(3).locator('.tok');
    // the reply's text is the message content (the model's leading space is not part of it)
    expect((await tokens.allTextContents()).join('')).toBe(scored.choices[0]!.message.content);
    const last = (await tokens.count()) - 1;
    const shown = await hover('#messages .tok', last);
    const expected = content[content.length - 1]!;
    expect(shown.token).toBe(JSON.stringify(expected.token));
    expectPercent(shown.percent, expected.logprob);
    expect(shown.alternatives.map((a) => a.token)).toEqual(expected.top_logprobs.map((a) => JSON.stringify(a.token)));
    shown.alternatives.forEach((a, j) => {
      expectPercent(a.percent, expected.top_logprobs[j]!.logprob);
    });
    await screenshot('chat');
    await page.mouse.move(0, 0);

    await page.reload();
    await expect.poll(() => messages.count()).toBe(4);
    expect(await page.getAttribute('#mode-chat', 'aria-selected')).toBe('true');
    expect(await messages.nth(2).locator('textarea').inputValue()).toBe(followUp);
    await page.click('#reset');
    expect(await messages.count()).toBe(0);
  });

  it("says in the status line what is wrong: a setting out of range, or the API's refusal", async () => {
    await page.click('#mode-completion');
    await page.uncheck('#probs');
    await setOption('top_p', '0');
    await page.click('#generate');
    await expect.poll(() => page.textContent('#status.error')).toBe('top p: must be more than 0, got 0');
    await setOption('top_p', '');
    await setOption('max_tokens', '600');
    await page.click('#generate');
    await expect.poll(() => page.textContent('#status.error')).toMatch(/^400: This model's maximum context length is 512 tokens/);
    expect(await page.textContent('#output')).toBe('');
    expect(await page.isEnabled('#generate')).toBe(true);
    await screenshot('error');
  });

  it('works behind a proxy that serves the server under a path prefix', async () => {
    const proxy = await prefixProxy(server.base);
    allowed.push(proxy.base);
    try {
      await page.goto(`${proxy.base}/`);
      await page.waitForFunction(modelShown);
      await page.fill('#prompt', fibonacci.prompt);
      await setOption('temperature', '0');
      await setOption('max_tokens', String(fibonacci.new_ids.length));
      await page.click('#generate');
      await finished();
      expect(await page.textContent('#output .generated')).toBe(fibonacci.completion);
      expect(eventStreams.at(-1)).toBe('/gptj/v1/completions');
    } finally {
      await page.goto('about:blank');
      await new Promise((resolve) => proxy.server.close(resolve));
    }
  });

  it('fetched nothing from outside the server and threw no script errors', () => {
    expect(outside).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
