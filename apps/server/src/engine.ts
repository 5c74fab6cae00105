// The loaded model and tokenizer behind one lock: every generation runs alone on the model, in arrival order.
import { basename } from 'node:path';
import { loadModel, type GPTJModel } from '@gptj/model';
import { Tokenizer } from '@gptj/tokenizer';
import { miniCodeDir } from '@gptj/mini-code';
import { generate, type GenerateOptions } from '@gptj/sampling';
import { Mutex } from './mutex.js';

export interface EngineOptions {
  /** A Hugging Face model directory or hub id (default: the bundled mini-code checkpoint). */
  modelDir?: string;
  device?: 'auto' | 'cpu' | 'cuda';
  dtype?: 'auto' | 'f32' | 'f16' | 'bf16' | 'q8';
  /** false: read the weights into memory instead of mapping the checkpoint (see @gptj/model, Sessions). */
  mmap?: boolean;
  /** The id `/v1/models` lists and responses carry (default: the directory's base name). */
  modelName?: string;
}

export type FinishReason = 'length' | 'stop' | 'eos' | 'abort';

export interface GenerationResult {
  text: string;
  finishReason: FinishReason;
  promptTokens: number;
  completionTokens: number;
  /** The generated token ids (EOS excluded). */
  ids: number[];
}


export class Engine {
  private readonly lock = new Mutex();

  private constructor(
    readonly model: GPTJModel,
    readonly tokenizer: Tokenizer,
    readonly modelName: string,
    /** The ids a request's `model` may use: modelName, and --model as given and its base name. */
    readonly modelIds: ReadonlySet<string>,
  ) {}

  static async load(opts: EngineOptions = {}): Promise<Engine> {
    const dir = opts.modelDir ?? miniCodeDir;
    const model = await loadModel(dir, { device: opts.device ?? 'auto', dtype: opts.dtype ?? 'auto', mmap: opts.mmap ?? true });
    // The directory's own tokenizer when it has one, else the bundled GPT-J vocabulary (the same for every GPT-J).
    const tokenizer = await Tokenizer.forModelDirectory(dir);
    const base = basename(dir.replace(/[\\/]+$/, ''));
    const name = opts.modelName ?? (opts.modelDir === undefined ? 'gptj-mini-code' : base);
    const ids = new Set([name, ...(opts.modelDir === undefined ? [] : [opts.modelDir, base])]);
    return new Engine(model, tokenizer, name, ids);
  }

  get maxLength(): number {
    return this.model.maxLength;
  }

  /**
   * Waits for the model, then generates; `onText` gets each released piece of text. Option errors are thrown before
   * any work (and the lock is released). An aborted `options.signal` ends the generation with 'abort' and frees the
   * session; a request aborted while still queued never touches the model.
   */
  async run(prompt: string | number[], options: GenerateOptions, onText?: (delta: string) => void | Promise<void>): Promise<GenerationResult> {
    const release = await this.lock.acquire();
    let events: ReturnType<typeof generate> | undefined;
    try {
      if (options.signal?.aborted) return { text: '', finishReason: 'abort', promptTokens: 0, completionTokens: 0, ids: [] };
      events = generate(this.model, this.tokenizer, prompt, options);
      let text = '';
      let finishReason: FinishReason = 'length';
      const ids: number[] = [];
      for (;;) {
        const next = await events.next();
        if (next.done) {
          const { promptTokens, completionTokens } = next.value.usage;
          return { text, finishReason, promptTokens, completionTokens, ids };
        }
        const e = next.value;
        if (e.type === 'done') finishReason = e.finishReason;
        else ids.push(e.id);
        if (e.text) {
          text += e.text;
          await onText?.(e.text);
        }
      }
    } finally {
      // Ends the generator (disposing its session) when `onText` threw midway; a no-op once it has finished.
      await events?.return(undefined as never);
      release();
    }
  }

  /** Runs `fn` on the model alone (after the generations and scorings queued before it). */
  async withModel<T>(fn: (model: GPTJModel) => Promise<T>): Promise<T> {
    const release = await this.lock.acquire();
    try {
      return await fn(this.model);
    } finally {
      release();
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}
