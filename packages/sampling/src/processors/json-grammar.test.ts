// The JSON automaton against JSON.parse: hand-checked prefixes (each valid one with a completion JSON.parse
// accepts), every prefix of real JSON texts, and mutated texts (accepted as complete exactly when JSON.parse
// accepts them; every accepted prefix has a completion, found by search and checked by JSON.parse).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonCursor, type JsonGrammarOptions } from './json-grammar.js';

const VALUE: JsonGrammarOptions = { root: 'value', maxDepth: 31, maxWhitespace: 1000 };
const OBJECT: JsonGrammarOptions = { ...VALUE, root: 'object' };
const utf8 = new TextEncoder();

/** How many leading bytes of text the automaton accepts, and whether it then holds a complete value. */
function run(text: string, options = VALUE): { accepted: number; length: number; complete: boolean; cursor: JsonCursor } {
  const bytes = utf8.encode(text);
  const cursor = new JsonCursor(options);
  for (let i = 0; i < bytes.length; i++) if (!cursor.step(bytes[i]!)) return { accepted: i, length: bytes.length, complete: false, cursor };
  return { accepted: bytes.length, length: bytes.length, complete: cursor.complete, cursor };
}

// Bytes a shortest completion may need (closers, digits, the rest of a literal or an escape).
const COMPLETION_BYTES = [...'"}]:0eulsra,'].map((c) => c.charCodeAt(0));

/** A shortest byte string that completes the cursor's text (breadth-first over COMPLETION_BYTES), or null. */
function completion(start: JsonCursor): string | null {
  const seen = new Set([start.stateKey]);
  let frontier: [JsonCursor, string][] = [[start, '']];
  for (let len = 0; len < 40 && frontier.length > 0; len++) {
    const next: [JsonCursor, string][] = [];
    for (const [c, s] of frontier) {
      if (c.complete) return s;
      for (const b of COMPLETION_BYTES) {
        const d = new JsonCursor(c.options);
        d.copyFrom(c);
        if (!d.step(b) || seen.has(d.stateKey)) continue;
        seen.add(d.stateKey);
        next.push([d, s + String.fromCharCode(b)]);
      }
    }
    frontier = next;
  }
  return null;
}

describe('JsonCursor: hand-checked prefixes', () => {
  // [prefix, a completion that JSON.parse accepts]
  const valid: [string, string][] = [
    ['', '{}'],
    ['{ ', '}'],
    ['{"a"', ':1}'],
    ['{"a" :', '0}'],
    ['{"a":-', '1}'],
    ['{"a":0.', '5}'],
    ['{"a":1e', '+2}'],
    ['{"a":1E-', '2}'],
    ['{"a":tr', 'ue}'],
    ['{"a":[nu', 'll]}'],
    ['{"a":"\\u00', 'e9"}'],
    ['{"a":"\\', 'n"}'],
    ['{"a\\"b":{}', '}'],
    ['{"a":[1,[2,', '3]]}'],
    ['{"é":"日本', '"}'],
    ['{"a":[ ] ,', '"b":false}'],
  ];
  it.each(valid)('%j is a valid prefix (completed by %j)', (prefix, rest) => {
    expect(() => JSON.parse(prefix + rest)).not.toThrow();
    const r = run(prefix, OBJECT);
    expect(r.accepted).toBe(r.length);
    expect(r.complete).toBe(false);
    expect(run(prefix + rest, OBJECT).complete).toBe(true);
  });

  // [text, bytes accepted before the one no JSON text can have there]
  const invalid: [string, number][] = [
    ['[1]', 0], // json_object: the top level is an object
    ['{a', 1],
    ['{"a":01', 6],
    ['{"a":1.}', 7],
    ['{"a":1e}', 7],
    ['{"a":.5}', 5],
    ['{"a":+1}', 5],
    ['{"a":tru}', 8],
    ['{"a":"\\x"}', 7],
    ['{"a":"\\u12g4"}', 10],
    ['{"a":"\t"}', 6],
    ['{"a":1,}', 7],
    ['{"a":[1,]}', 8],
    ['{"a":[1}', 7],
    ['{"a":{]}', 6],
    ['{"a" "b"}', 5],
    ['{}{}', 2],
    ["{'a':1}", 1],
    ['{"a":NaN}', 5],
  ];
  it.each(invalid)('%j is refused after %i bytes', (text, at) => {
    if (text === '[1]') expect(JSON.parse(text)).toEqual([1]);
    else expect(() => JSON.parse(text)).toThrow();
    expect(run(text, OBJECT).accepted).toBe(at);
  });

  it('starts with the value and ends right after it: whitespace around it (which JSON.parse allows) is refused', () => {
    expect(run('{} ', OBJECT)).toMatchObject({ accepted: 2 });
    expect(run(' {}', OBJECT)).toMatchObject({ accepted: 0 });
  });

  it('bounds the nesting depth and the whitespace runs', () => {
    const o: JsonGrammarOptions = { root: 'value', maxDepth: 3, maxWhitespace: 2 };
    expect(run('[[[]]]', o).complete).toBe(true);
    expect(run('[[[[', o).accepted).toBe(3);
    expect(run('[  1]', o).complete).toBe(true);
    expect(run('[   1]', o).accepted).toBe(3);
  });

  it('a top-level number may end the text (root value) but can also go on', () => {
    expect(run('12', VALUE)).toMatchObject({ complete: true, accepted: 2 });
    expect(run('-', VALUE).complete).toBe(false);
    expect(run('1.5e3', VALUE).complete).toBe(true);
  });
});

// JSON texts with whitespace anywhere the grammar allows it.
const jsonText = fc.tuple(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom(undefined, 1, 2, '\t', ' \n ')).map(([v, indent]) => JSON.stringify(v, null, indent));

describe('JsonCursor against JSON.parse (property)', () => {
  it('accepts every prefix of a JSON text, complete at its end', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const bytes = utf8.encode(text);
        const c = new JsonCursor(VALUE);
        for (const b of bytes) if (!c.step(b)) return false;
        return c.complete;
      }),
      { seed: 20261203, numRuns: 2000 },
    );
  });

  it('mutated texts: complete exactly when JSON.parse accepts them; every accepted prefix can be completed', () => {
    const mutated = fc
      .tuple(jsonText, fc.nat(), fc.constantFrom(...'{}[]",:0123456789.eE+-tfnrul \\\n'), fc.constantFrom('replace', 'insert', 'delete', 'cut'))
      .map(([t, at, ch, op]) => {
        const i = t.length === 0 ? 0 : at % t.length;
        if (op === 'replace') return t.slice(0, i) + ch + t.slice(i + 1);
        if (op === 'insert') return t.slice(0, i) + ch + t.slice(i);
        if (op === 'delete') return t.slice(0, i) + t.slice(i + 1);
        return t.slice(0, i);
      });
    fc.assert(
      fc.property(mutated, (text) => {
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        // the automaton starts and ends at the value (surrounding whitespace is JSON's but refused here)
        const r = run(parses ? text.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '') : text);
        if (parses !== (r.accepted === r.length && r.complete)) return false;
        if (r.accepted < r.length) return true;
        const rest = completion(r.cursor);
        if (rest === null) return false;
        JSON.parse(text + rest);
        return true;
      }),
      { seed: 20261203, numRuns: 3000 },
    );
  });
});
