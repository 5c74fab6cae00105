// What `--model`-style text names: a hub repository ("org/name") or a local path. The one rule for loadModel, the
// CLI and the server; this module loads no native code, so the CLI's tokenize imports it alone (@gptj/model/hub-id).
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { ModelLoadError } from './errors.js';

/** org/name as the hub spells repository ids: each part starts with a letter or digit. */
export const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

/**
 * Whether `s` names a hub repository. A value that looks like a path (starts with ./ ../ / ~, or exists on disk)
 * never does, so `./nope` is reported as a missing directory instead of being fetched from the hub.
 */
export function isHubId(s: string): boolean {
  return HUB_ID.test(s) && !looksLikePath(s);
}

function looksLikePath(s: string): boolean {
  return /^(\.{1,2}|~)(\/|$)/.test(s) || isAbsolute(s) || existsSync(s);
}

export type ModelSource = { kind: 'dir'; path: string } | { kind: 'hub'; id: string };

/** `~` and `~/x` as the shell would expand them (a quoted --model value reaches us unexpanded). */
function expandHome(value: string): string {
  return value === '~' || value.startsWith('~/') ? join(homedir(), value.slice(1)) : value;
}

/**
 * The one resolution of a `--model` value (the CLI's commands and gptj-server): an existing directory, else a
 * value that looks like a path is a missing directory (never sent to the hub), else a hub id. Throws
 * ModelLoadError "--model VALUE: ..." naming what is wrong.
 */
export function resolveModelSource(value: string): ModelSource {
  const path = expandHome(value);
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat?.isDirectory()) return { kind: 'dir', path };
  if (stat) throw new ModelLoadError(`--model ${value}: not a directory (expected a Hugging Face model directory or hub id)`);
  if (!isHubId(value)) throw new ModelLoadError(`--model ${value}: the directory does not exist`);
  return { kind: 'hub', id: value };
}
