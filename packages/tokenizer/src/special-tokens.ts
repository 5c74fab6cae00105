import { TokenizerError } from './errors.js';

/** Which special tokens encode() may see in text (like tiktoken's options). */
export interface EncodeOptions {
  /**
   * Special tokens written in the text that encode to their own id ('all' or a set of their strings).
   * Default: none, so "<|endoftext|>" in text is ordinary text (several ordinary tokens).
   */
  allowedSpecial?: 'all' | ReadonlySet<string>;
  /**
   * Special tokens whose presence in the text is an error (SpecialTokenError), unless also allowed
   * ('all' means every special token not in allowedSpecial). Default: none.
   */
  disallowedSpecial?: 'all' | ReadonlySet<string>;
}

/** The options resolved against a vocabulary: one regex for allowed tokens, one for forbidden ones. */
export interface SpecialPolicy {
  /** Global regex matching the allowed special tokens (longest first), or null if none is allowed. */
  readonly allowed: RegExp | null;
  /** Regex matching the disallowed special tokens, or null. */
  readonly disallowed: RegExp | null;
}

const NONE: SpecialPolicy = { allowed: null, disallowed: null };

function alternation(tokens: Iterable<string>, flags: string): RegExp | null {
  const list = [...tokens].sort((a, b) => b.length - a.length);
  if (list.length === 0) return null;
  return new RegExp(list.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), flags);
}

/** Resolves encode options; caches the policies of the option-free and 'all' cases. */
export class SpecialTokens {
  private readonly cached = new Map<string, SpecialPolicy>();

  constructor(readonly ids: ReadonlyMap<string, number>) {}

  policy(opts: EncodeOptions | undefined): SpecialPolicy {
    if (opts === undefined) return NONE;
    if (typeof opts !== 'object' || opts === null) {
      throw new TypeError(`encode options must be an object like { allowedSpecial: 'all' }, got ${String(opts)}`);
    }
    const { allowedSpecial: a, disallowedSpecial: d } = opts;
    const cacheable = (a === undefined || a === 'all') && (d === undefined || d === 'all');
    const key = `${a ?? ''}|${d ?? ''}`;
    const hit = cacheable ? this.cached.get(key) : undefined;
    if (hit) return hit;
    const allowed = new Set(this.resolve(a, 'allowedSpecial'));
    const disallowed = [...this.resolve(d, 'disallowedSpecial')].filter((t) => !allowed.has(t));
    const policy: SpecialPolicy = { allowed: alternation(allowed, 'g'), disallowed: alternation(disallowed, '') };
    if (cacheable) this.cached.set(key, policy);
    return policy;
  }

  private resolve(value: unknown, name: string): Iterable<string> {
    if (value === undefined) return [];
    if (value === 'all') return this.ids.keys();
    if (!(value instanceof Set)) {
      throw new TypeError(`${name} must be 'all' or a Set of special token strings, got ${JSON.stringify(value)}`);
    }
    for (const t of value) {
      if (!this.ids.has(t)) {
        throw new TokenizerError(
          `${name} names ${JSON.stringify(t)}, which is not a special token of this tokenizer ` +
            `(special tokens: ${[...this.ids.keys()].slice(0, 3).join(', ')}${this.ids.size > 3 ? ', ...' : ''})`,
        );
      }
    }
    return value as Set<string>;
  }
}
