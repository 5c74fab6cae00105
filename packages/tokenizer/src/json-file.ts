import { TokenizerLoadError } from './errors.js';
import { LIMITS } from './limits.js';

/** A JSON object as parsed from a file. */
export type Json = Record<string, unknown>;

/**
 * Depth of the deepest array/object nesting in JSON text (strings skipped). V8's JSON.parse copes with any
 * depth, but everything that walks the value afterwards (String(), JSON.stringify, our checks) recurses,
 * and a 2M-deep `[[[...]]]` overflows the stack there; refusing deep text up front bounds all of them.
 * Stops counting once past `limit`.
 */
function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // skip a string: up to the next quote that is not escaped
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** Parses a tokenizer JSON file that must hold an object; TokenizerLoadError naming `file` otherwise. */
export function parseJsonObject(text: string, file: string): Json {
  if (nestingDepth(text, LIMITS.jsonDepth) > LIMITS.jsonDepth) {
    throw new TokenizerLoadError(`${file}: JSON nested more than ${LIMITS.jsonDepth} levels deep`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new TokenizerLoadError(`${file}: invalid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenizerLoadError(`${file}: expected a JSON object`);
  }
  return value as Json;
}

/** A short, bounded rendering of a value from a file, for error messages (never the whole of a big value). */
export function shown(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object' && value !== null) return 'an object';
  if (typeof value === 'string') {
    return value.length > 60 ? `${JSON.stringify(value.slice(0, 60))}... (${value.length} characters)` : JSON.stringify(value);
  }
  return String(value); // number, boolean, null, undefined: short
}
