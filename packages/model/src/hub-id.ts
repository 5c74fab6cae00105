// What `--model`-style text names: a hub repository ("org/name") or a local path. The one rule for loadModel, the
// CLI and the server; this module loads no native code, so the CLI's tokenize imports it alone (@gptj/model/hub-id).
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';

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
