// What `--model` names: a local Hugging Face directory, a hub id ("EleutherAI/gpt-j-6b"), or nothing (the bundled
// demo checkpoint). The rule itself is @gptj/model/hub-id's, shared with gptj-server.
import { resolveModelSource as resolveGiven, type ModelSource } from '@gptj/model/hub-id';
import { miniCodeDir } from '@gptj/mini-code';
import { CliError } from './errors.js';

export type { ModelSource };

/** The bundled demo checkpoint when `value` is undefined; a path that cannot be a model is a CliError. */
export function resolveModelSource(value: string | undefined): ModelSource {
  if (value === undefined) return { kind: 'dir', path: miniCodeDir };
  try {
    return resolveGiven(value);
  } catch (err) {
    // ModelLoadError by name: importing the class from @gptj/model would load the native addon
    throw err instanceof Error && err.name === 'ModelLoadError' ? new CliError(err.message) : err;
  }
}
