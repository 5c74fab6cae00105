// The loaded model and tokenizer, and the continuous-batching Scheduler (@gptj/sampling) every generation goes through:
// up to `parallel` sequences share each forward step, up to `maxQueue` more wait for a slot, and the rest are refused
// (429). Embeddings and logprob scoring run on the same model in their own turn between two steps (model-turns.ts).
import { setMaxListeners } from 'node:events';
import { basename } from 'node:path';
import { loadModel, resolveHubModel, type GPTJModel, type LoadProgress } from '@gptj/model';
import { isHubId } from '@gptj/model/hub-id';
import { Tokenizer } from '@gptj/tokenizer';
import { miniCodeDir } from '@gptj/mini-code';
import { QueueFullError, Scheduler, type GenerateOptions, type GenerationEvent, type ScheduledRequest, type TokenEvent } from '@gptj/sampling';
import { ApiError } from './errors.js';
import { ServerMetrics } from './metrics.js';
import { modelInTurns, runInTurn } from './model-turns.js';
import { Mutex } from './mutex.js';

export interface EngineOptions {
  /** A Hugging Face model directory or hub id (default: the bundled mini-code checkpoint). */
  modelDir?: string;
  device?: 'auto' | 'cpu' | 'cuda';
  dtype?: 'auto' | 'f32' | 'f16' | 'bf16' | 'q8' | 'q4';
  /** false: read the weights into memory instead of mapping the checkpoint (see @gptj/model, Sessions). */
  mmap?: boolean;
  /** The id `/v1/models` lists and responses carry (default: the directory's base name). */
  modelName?: string;
  /** Hub ids only: the branch, tag or commit (default main), and the cache root (default: the HF cache). */
  revision?: string;
  cacheDir?: string;
  /** Download and weight-loading progress, in bytes. */
  onProgress?: (p: LoadProgress) => void;
  /** Sequences decoded together in one forward step (slots; default 4). n > 1 takes n slots. */
  parallel?: number;
  /** Generation requests that may wait for a slot (default 64); one more is answered 429 with Retry-After. */
  maxQueue?: number;
  /** A generation not finished this long after it arrived (queueing included) ends with a 503 `request_timeout`. */
  requestTimeoutMs?: number;
  /** On app.close() or a shutdown signal, generations still running after this long are aborted (default 30 s). */
  drainTimeoutMs?: number;
}

export type FinishReason = 'length' | 'stop' | 'eos' | 'abort';

/** One output sequence of a generation. */
export interface GeneratedChoice {
  text: string;
  finishReason: FinishReason;
  /** The generated token ids (EOS excluded). */
  ids: number[];
  /** With `logprobs: true`: each id's log-probability under the model. */
  logprobs: number[];
  /** With `topLogprobs: n`: the n most likely tokens at each id's position. */
  top: NonNullable<TokenEvent['topLogprobs']>[];
}

export interface GenerationResult {
  /** Row r of the generation (numReturnSequences rows). */
  choices: GeneratedChoice[];
  promptTokens: number;
  completionTokens: number;
}

export const DEFAULT_PARALLEL = 4;
export const DEFAULT_MAX_QUEUE = 64;
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

export class Engine {
  /** The model's turns: scheduler steps, embeddings and scoring, one at a time. */
  private readonly turns = new Mutex();
  private readonly scheduler: Scheduler;
  /** Aborts every generation still running when a drain's deadline passes. */
  // Every running generation listens on it (removed when it ends): with more than 10 at once Node would warn of a leak.
  private readonly shutdown = unboundedAbortController();
  private drainTimer: NodeJS.Timeout | undefined;
  /** The scheduler's close(): resolves once every admitted generation has finished. */
  private drained: Promise<void> | undefined;
  /** Mean seconds a generation takes (moving average), for Retry-After. */
  private meanSeconds = 1;
  readonly metrics: ServerMetrics;
  readonly parallel: number;
  readonly requestTimeoutMs: number | undefined;
  readonly drainTimeoutMs: number;
  /** Set once a shutdown began: /health answers 503 and no new generation is admitted. */
  draining = false;

  private constructor(
    readonly model: GPTJModel,
    readonly tokenizer: Tokenizer,
    readonly modelName: string,
    /** The ids a request's `model` may use: modelName, and --model as given and its base name. */
    readonly modelIds: ReadonlySet<string>,
    opts: EngineOptions,
  ) {
    this.parallel = opts.parallel ?? DEFAULT_PARALLEL;
    this.requestTimeoutMs = opts.requestTimeoutMs;
    this.drainTimeoutMs = opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.metrics = new ServerMetrics(() => this.stats, this.parallel);
    this.scheduler = new Scheduler(modelInTurns(model, this.turns), tokenizer, {
      maxSequences: this.parallel,
      maxQueue: opts.maxQueue ?? DEFAULT_MAX_QUEUE,
      onStep: (s) => this.metrics.step(s.sequences, s.ms),
    });
  }

  static async load(opts: EngineOptions = {}): Promise<Engine> {
    for (const [name, value, min] of [
      ['parallel', opts.parallel, 1],
      ['maxQueue', opts.maxQueue, 0],
      ['requestTimeoutMs', opts.requestTimeoutMs, 1],
      ['drainTimeoutMs', opts.drainTimeoutMs, 0],
    ] as const) {
      if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
    }
    const given = opts.modelDir ?? miniCodeDir;
    // A hub id becomes its cached snapshot (downloaded when missing), whose own tokenizer files are then read.
    const hub = {
      ...(opts.revision !== undefined && { revision: opts.revision }),
      ...(opts.cacheDir !== undefined && { cacheDir: opts.cacheDir }),
      onProgress: opts.onProgress,
    };
    const dir = isHubId(given) ? await resolveHubModel(given, hub) : given;
    const model = await loadModel(dir, { device: opts.device ?? 'auto', dtype: opts.dtype ?? 'auto', mmap: opts.mmap ?? true, onProgress: opts.onProgress });
    // The directory's own tokenizer when it has one, else the bundled GPT-J vocabulary (the same for every GPT-J).
    const tokenizer = await Tokenizer.forModelDirectory(dir);
    const base = basename(given.replace(/[\\/]+$/, ''));
    const name = opts.modelName ?? (opts.modelDir === undefined ? 'gptj-mini-code' : base);
    const ids = new Set([name, ...(opts.modelDir === undefined ? [] : [opts.modelDir, base])]);
    return new Engine(model, tokenizer, name, ids, opts);
  }

  get maxLength(): number {
    return this.model.maxLength;
  }

  /** Sequences in slots and requests waiting for one. */
  get stats(): { active: number; queued: number } {
    const { sequences, queued } = this.scheduler.stats;
    return { active: sequences, queued };
  }

  /**
   * Queues the generation for a slot and collects its rows; `onEvent` sees each token and done event as it comes.
   * Option errors are thrown before any work; a full queue is a 429 ApiError. An aborted `options.signal` (the client
   * went away) ends the rows with 'abort' and frees their slots within one step; past `requestTimeoutMs` the same
   * happens and a 503 `request_timeout` ApiError is thrown.
   */
  async run(prompt: string | number[], options: GenerateOptions, onEvent?: (e: GenerationEvent) => void): Promise<GenerationResult> {
    const stop = new AbortController();
    const abort = () => stop.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    this.shutdown.signal.addEventListener('abort', abort, { once: true });
    if (options.signal?.aborted) stop.abort();
    let timedOut = false;
    const timeout = () => {
      timedOut = true;
      stop.abort();
    };
    const timer = this.requestTimeoutMs === undefined ? undefined : setTimeout(timeout, this.requestTimeoutMs);
    const started = performance.now();
    try {
      const request = this.submit(prompt, { ...options, signal: stop.signal });
      const choices: GeneratedChoice[] = [];
      const lastToken: number[] = [];
      for await (const e of request) {
        choices[e.row] ??= { text: '', finishReason: 'length', ids: [], logprobs: [], top: [] };
        const c = choices[e.row]!;
        c.text += e.text;
        if (e.type === 'token') {
          c.ids.push(e.id);
          if (e.logprob !== undefined) c.logprobs.push(e.logprob);
          if (e.topLogprobs !== undefined) c.top.push(e.topLogprobs);
          const at = performance.now();
          if (lastToken[e.row] === undefined) {
            if (lastToken.length === 0) this.metrics.firstToken(at - started);
          } else this.metrics.nextToken(at - lastToken[e.row]!);
          lastToken[e.row] = at;
        } else c.finishReason = e.finishReason;
        onEvent?.(e);
      }
      const { usage, queuedMs } = await request.result;
      this.metrics.queued(queuedMs);
      this.metrics.tokens(usage.promptTokens, usage.completionTokens);
      if (timedOut) throw this.timeout(usage.completionTokens);
      if (this.shutdown.signal.aborted && choices.some((c) => c.finishReason === 'abort')) {
        throw new ApiError(
          503,
          `the server shut down before the request finished (its drain deadline passed); retry on another replica`,
          'server_error',
          null,
          'shutting_down',
        );
      }
      this.meanSeconds += 0.1 * ((performance.now() - started) / 1000 - this.meanSeconds);
      return { choices, promptTokens: usage.promptTokens, completionTokens: usage.completionTokens };
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      this.shutdown.signal.removeEventListener('abort', abort);
    }
  }

  /** Runs `fn` on the model in its own turn, between two generation steps. */
  withModel<T>(fn: (model: GPTJModel) => Promise<T>): Promise<T> {
    return runInTurn(this.turns, () => fn(this.model));
  }

  /**
   * Starts a drain: no new generation is admitted, /health says 503, and whatever still runs after `deadlineMs` is
   * aborted. The first call's deadline holds.
   */
  beginDrain(deadlineMs: number): void {
    if (this.draining) return;
    this.draining = true;
    this.drained = this.scheduler.close(); // submit now throws SchedulerClosedError: a 503
    this.drainTimer = setTimeout(() => this.shutdown.abort(), deadlineMs);
  }

  /** Waits for the admitted generations (a drain's deadline aborts them; none are admitted any more), then frees the model. */
  async close(): Promise<void> {
    this.draining = true;
    this.drained ??= this.scheduler.close();
    await this.drained;
    clearTimeout(this.drainTimer);
    this.model.dispose();
  }

  /** The scheduler's submit, with a full queue as the 429 ApiError. */
  private submit(prompt: string | number[], options: GenerateOptions): ScheduledRequest {
    try {
      return this.scheduler.submit(prompt, options);
    } catch (err) {
      if (err instanceof QueueFullError) throw this.queueFull(err);
      throw err;
    }
  }

  private queueFull(err: QueueFullError): ApiError {
    // The queue drains `parallel` requests per mean request time.
    const seconds = Math.min(60, Math.max(1, Math.ceil(((err.maxQueue + 1) * this.meanSeconds) / this.parallel)));
    return new ApiError(
      429,
      `the server is busy: ${this.parallel} requests are generating and ${err.maxQueue} are waiting; retry after ${seconds} s`,
      'server_error',
      null,
      'queue_full',
      { 'retry-after': String(seconds) },
    );
  }

  private timeout(generated: number): ApiError {
    return new ApiError(
      503,
      `the request did not finish within the server's request timeout of ${this.requestTimeoutMs} ms (${generated} tokens were generated); lower max_tokens or retry later`,
      'server_error',
      null,
      'request_timeout',
    );
  }
}

function unboundedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
