// Loading a model and its tokenizer the way every command does it: device and dtype checked first, a progress bar
// while weights download or load, threads set before any kernel runs. The libraries are imported lazily so that
// `gptj --help` and `gptj tokenize` never load the native tensor addon.
import type { GPTJModel } from '@gptj/model';
import type { Tokenizer } from '@gptj/tokenizer';
import { CliError } from './errors.js';
import { resolveModelSource, type ModelSource } from './model-source.js';
import { createProgress } from './progress.js';

export type DeviceFlag = 'auto' | 'cpu' | 'cuda';
export type DtypeFlag = 'auto' | 'f32' | 'f16' | 'bf16' | 'int8' | 'q4';
export type ModelDtype = 'auto' | 'f32' | 'f16' | 'bf16' | 'q8' | 'q4';

export interface RuntimeFlags {
  model?: string;
  device?: DeviceFlag;
  dtype?: DtypeFlag;
  threads?: number;
  /** false with --no-mmap: weights read into process memory instead of mapped. */
  mmap?: boolean;
  /** Hub ids only: branch, tag or commit. */
  revision?: string;
  /** Hub ids only: the Hugging Face cache root (default $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub). */
  cacheDir?: string;
}

/** The CLI says int8, the model package says q8 (int8 weights with per-row scales). */
export function modelDtype(flag: DtypeFlag | undefined): ModelDtype {
  return flag === 'int8' ? 'q8' : (flag ?? 'auto');
}

/** Sets the CPU thread count and fails early when CUDA is asked for but missing. */
export async function prepareDevice(flags: RuntimeFlags): Promise<void> {
  const tensor = await import('@gptj/tensor');
  if (flags.threads !== undefined) tensor.setNumThreads(flags.threads);
  if (flags.device === 'cuda') {
    const cuda = tensor.cudaAvailable();
    if (!cuda.available) throw new CliError(`--device cuda: CUDA is not available${cuda.reason ? ` (${cuda.reason})` : ''}; use --device cpu or auto`);
  }
}

export interface Loaded {
  model: GPTJModel;
  /** The local directory the weights came from (a hub id is resolved to its cache snapshot first). */
  source: ModelSource & { kind: 'dir' };
  loadMs: number;
}

/** A hub id becomes its local snapshot directory, downloaded with a progress bar when missing. */
export async function resolveToDirectory(source: ModelSource, flags: Pick<RuntimeFlags, 'revision' | 'cacheDir'>): Promise<ModelSource & { kind: 'dir' }> {
  if (source.kind === 'dir') return source;
  const { resolveHubModel } = await import('@gptj/model');
  const progress = createProgress();
  try {
    const path = await resolveHubModel(source.id, {
      ...(flags.revision !== undefined ? { revision: flags.revision } : {}),
      ...(flags.cacheDir !== undefined ? { cacheDir: flags.cacheDir } : {}),
      onProgress: (p) => progress.update(p.phase, p.done, p.total, p.file),
    });
    return { kind: 'dir', path };
  } finally {
    progress.stop();
  }
}

export async function loadModelForCli(flags: RuntimeFlags): Promise<Loaded> {
  await prepareDevice(flags);
  const start = performance.now();
  const source = await resolveToDirectory(resolveModelSource(flags.model), flags);
  const { loadModel } = await import('@gptj/model');
  const progress = createProgress();
  try {
    const model = await loadModel(source.path, {
      device: flags.device ?? 'auto',
      dtype: modelDtype(flags.dtype),
      mmap: flags.mmap ?? true,
      onProgress: (p) => progress.update(p.phase, p.done, p.total, p.file ?? ''),
    });
    return { model, source, loadMs: performance.now() - start };
  } finally {
    progress.stop();
  }
}

/** The model directory's own tokenizer when it has one, else the bundled GPT-J vocabulary. */
export async function loadTokenizer(source: ModelSource | undefined): Promise<Tokenizer> {
  const { Tokenizer } = await import('@gptj/tokenizer');
  return source?.kind === 'dir' ? Tokenizer.forModelDirectory(source.path) : Tokenizer.gptj();
}
