/**
 * A value parsed from a JSON file (config.json, an index, a safetensors header), for an error message:
 * primitives as JSON clipped to 60 characters, lists by length, objects as such. Never a serialisation of a
 * container: a hostile file may nest 20,000 deep (JSON.stringify overflows the stack) or be megabytes long.
 */
export function describeJson(v: unknown): string {
  if (Array.isArray(v)) return v.every((x) => typeof x === 'number') && v.length <= 8 ? `[${v.join(', ')}]` : `a list of ${v.length} items`;
  if (typeof v === 'object' && v !== null) return 'an object';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 60)}... (${s.length} characters)` : s;
}
