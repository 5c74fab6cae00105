import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Checkpoint } from './entries.js';
import { openPytorchBin, openPytorchIndex } from './pytorch.js';
import { openSafetensors, openSafetensorsIndex } from './safetensors.js';
import { ModelLoadError } from '../errors.js';
import { WEIGHT_FILES } from '../model-files.js';

/** Opens the weights of a model directory (safetensors preferred; sharded or not) without reading tensor data. */
export async function openCheckpoint(dir: string): Promise<Checkpoint> {
  const found = WEIGHT_FILES.find((f) => existsSync(join(dir, f)));
  if (!found) throw new ModelLoadError(`${dir} holds no weights (looked for ${WEIGHT_FILES.join(', ')})`);
  const path = join(dir, found);
  switch (found) {
    case 'model.safetensors.index.json':
      return openSafetensorsIndex(path);
    case 'model.safetensors':
      return openSafetensors(path);
    case 'pytorch_model.bin.index.json':
      return openPytorchIndex(path);
    default:
      return openPytorchBin(path);
  }
}
