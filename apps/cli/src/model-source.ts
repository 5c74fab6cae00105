// What `--model` names: a local Hugging Face directory, a hub id ("EleutherAI/gpt-j-6b"), or nothing (the bundled
// demo checkpoint). A value that can only be a path and does not exist is reported here, before anything loads.
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isHubId } from '@gptj/model/hub-id';
import { miniCodeDir } from '@gptj/mini-code';
import { CliError } from './errors.js';

export type ModelSource = { kind: 'dir'; path: string } | { kind: 'hub'; id: string };

/** `~` and `~/x` as the shell would expand them (a quoted --model value reaches us unexpanded). */
function expandHome(value: string): string {
  return value === '~' || value.startsWith('~/') ? join(homedir(), value.slice(1)) : value;
}

/**
 * The one resolution of `--model` every command uses: an existing directory, else a value that looks like a path
 * is a missing directory (never sent to the hub), else a hub id.
 */
export function resolveModelSource(value: string | undefined): ModelSource {
  if (value === undefined) return { kind: 'dir', path: miniCodeDir };
  const path = expandHome(value);
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat?.isDirectory()) return { kind: 'dir', path };
  if (stat) throw new CliError(`--model ${value}: not a directory (expected a Hugging Face model directory or hub id)`);
  if (!isHubId(value)) throw new CliError(`--model ${value}: the directory does not exist`);
  return { kind: 'hub', id: value };
}

