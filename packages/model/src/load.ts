import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type DType, type Tensor } from '@gptj/tensor';
import { type GPTJWeightRole, type GPTJWeightSpec, buildRunnerWeights } from '@gptj/tensor/runner';
import { type GPTJConfig, parseGPTJConfigText } from './config.js';
import { checkTensors } from './checkpoint/expected.js';
import { SCALE_SUFFIX } from './checkpoint/int8-layout.js';
import { openCheckpoint } from './checkpoint/open.js';
import { readRegularText } from './checkpoint/regular-file.js';
import { TensorLoader, storedAsTensorDType } from './checkpoint/to-tensor.js';
import { type DeviceOption, type LoadDType, resolveDevice, weightDTypes } from './device.js';
import { ConfigError, ModelLoadError } from './errors.js';
import { GPTJModel } from './gptj.js';
import { type DownloadProgress, resolveHubModel } from './hub.js';
import { isHubId } from './hub-id.js';

export type { DeviceOption, LoadDType };

export interface LoadProgress {
  phase: 'download' | 'load';
  done: number;
  total: number;
  file?: string;
}

export interface LoadOptions {
  device?: DeviceOption; // default 'cpu'; 'auto' = cuda when available; 'cuda' without it throws DeviceError
  dtype?: LoadDType; // weight dtype; 'auto' keeps what the checkpoint stores (f32 becomes f16 on cuda); q8/q4 quantize matrices at load
  cacheDir?: string; // hub cache (default $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub)
  revision?: string; // hub revision, default 'main'
  endpoint?: string; // hub endpoint, default $HF_ENDPOINT or https://huggingface.co
  mmap?: boolean; // default true: weights kept as stored are views of the mapped file; false: read into process memory
  onProgress?: (p: LoadProgress) => void;
}

/**
 * Loads a GPT-J from a Hugging Face model directory or a hub id ("org/name", downloaded when not cached).
 * Weights are converted and moved to the device one tensor at a time (TensorLoader): the host never holds
 * a second full copy of the model.
 */
export async function loadModel(dirOrHubId: string, opts: LoadOptions = {}): Promise<GPTJModel> {
  const dir = isHubId(dirOrHubId)
    ? await resolveHubModel(dirOrHubId, { ...opts, onProgress: opts.onProgress as ((p: DownloadProgress) => void) | undefined })
    : dirOrHubId;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ModelLoadError(`${dir} is not a model directory`);
  resolveDevice(opts.device ?? 'cpu', undefined, opts.dtype); // a missing GPU is reported before any file is read
  const config = readConfig(dir);
  const ckpt = await openCheckpoint(dir);
  const loaded: Tensor[] = [];
  try {
    checkTensors(config, ckpt.tensors);
    const entry = (name: string) => ckpt.tensors.get(name)!;
    // A stored int8 checkpoint (I8 linear weights, see checkpoint/int8-layout.ts) loads as q8 under 'auto', a
    // stored q4 one (U8 codes, checkpoint/q4-layout.ts) as q4; an explicit dtype converts it.
    const holds = (dtype: string) => [...ckpt.tensors.values()].some((e) => e.dtype === dtype);
    const asked = (opts.dtype ?? 'auto') !== 'auto' ? opts.dtype : holds('I8') ? 'q8' : holds('U8') ? 'q4' : 'auto';
    const device = resolveDevice(opts.device ?? 'cpu', undefined, asked);
    const { matrix: matrixDType, embedding: embeddingDType } = weightDTypes(device, storedAsTensorDType(entry('transformer.wte.weight')), asked);

    const loader = new TensorLoader(device, opts.mmap ?? true);
    const total = [...ckpt.tensors.values()].reduce((s, e) => s + e.byteLength, 0);
    let done = 0;
    const load = (name: string, dtype: DType, readWhole: boolean) => {
      const e = entry(name);
      const scale = e.dtype === 'I8' || e.dtype === 'U8' ? entry(`${name}${SCALE_SUFFIX}`) : undefined; // checkTensors made sure it is there
      const t = !scale ? loader.load(e, dtype, readWhole) : e.dtype === 'I8' ? loader.loadInt8(e, scale, dtype) : loader.loadQ4(e, scale, dtype);
      loaded.push(t);
      done += e.byteLength + (scale?.byteLength ?? 0);
      opts.onProgress?.({ phase: 'load', done, total, file: e.file.name });
      return t;
    };
    // Biases and norm parameters are tiny and always f32. Tied embeddings: lm_head reads wte (in the matrix dtype).
    const dtypes: Record<GPTJWeightRole, DType> = { matrix: matrixDType, embedding: embeddingDType, norm: 'f32', bias: 'f32' };
    const stored = (spec: GPTJWeightSpec) => (spec.key === 'lmHead' && !ckpt.tensors.has(spec.name) ? 'transformer.wte.weight' : spec.name);
    // A mapped embedding table is not read in at load: a forward gathers a few of its rows (0.4 GB at 6B f16 otherwise
    // resident for nothing); a tied lm_head's own view of it reads it whole.
    const weights = buildRunnerWeights(config, (spec) => load(stored(spec), dtypes[spec.role], spec.role !== 'embedding'));
    loader.release();
    return new GPTJModel(config, weights, device, matrixDType);
  } catch (e) {
    for (const t of loaded) t.dispose(); // a failed load must not pin GPU memory
    throw e;
  } finally {
    ckpt.close();
  }
}

// A GPT-J config.json is about 1 KB.
const MAX_CONFIG_BYTES = 1 << 20;

/** The text of `dir`/config.json, read only if it is a regular file (a FIFO would block): ConfigError otherwise. */
export function readConfigText(dir: string): string {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new ConfigError(`${dir} has no config.json`);
  return readRegularText(path, MAX_CONFIG_BYTES, (reason) => new ConfigError(`${path} ${reason}`));
}

function readConfig(dir: string): GPTJConfig {
  return parseGPTJConfigText(readConfigText(dir));
}
