// What `--model` names: a local Hugging Face directory, a hub id ("EleutherAI/gpt-j-6b"), or nothing (the bundled
// demo checkpoint). A value that can only be a path and does not exist is reported here, before anything loads.
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { miniCodeDir } from '@gptj/mini-code';
import { CliError } from './errors.js';

export type ModelSource = { kind: 'dir'; path: string } | { kind: 'hub'; id: string };

// org/name, the hub ids @gptj/model resolves; anything else that does not exist is a missing directory.
const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

function looksLikePath(value: string): boolean {
  return isAbsolute(value) || value.startsWith('.') || value.startsWith('~') || !HUB_ID.test(value);
}

export function resolveModelSource(value: string | undefined): ModelSource {
  if (value === undefined) return { kind: 'dir', path: miniCodeDir };
  const stat = statSync(value, { throwIfNoEntry: false });
  if (stat?.isDirectory()) return { kind: 'dir', path: value };
  if (stat) throw new CliError(`--model ${value}: not a directory (expected a Hugging Face model directory or hub id)`);
  if (looksLikePath(value)) throw new CliError(`model directory not found: ${value}`);
  return { kind: 'hub', id: value };
}

