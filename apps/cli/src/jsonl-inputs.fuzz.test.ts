// The JSONL readers of `gptj eval` and `gptj embed` on mutated real files and arbitrary text: they return
// examples of the promised shape or throw a CliError naming the file, nothing else.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { fuzz, fuzzTimeoutMs } from '@gptj/test-fixtures/fuzz';
import { describe, it } from 'vitest';
import { parseEmbedJsonl } from './embed-input.js';
import { CliError } from './errors.js';
import { parseEvalData } from './eval-data.js';

const seeds = ['mini-code-eval.jsonl', 'mini-code-choices.jsonl'].map((f) =>
  readFileSync(fileURLToPath(new URL(`../test-data/${f}`, import.meta.url)), 'utf8'),
);
seeds.push('{"ids": [1, 2, 3]}\n"plain"\n{"text": "def f():"}\n');

// A seed file with a byte flip, a truncation, a splice of two seeds, or an edge value swapped in.
const mutated = fc
  .tuple(
    fc.nat(seeds.length - 1),
    fc.nat(seeds.length - 1),
    fc.nat(2000),
    fc.nat(2000),
    fc.nat(3),
    fc.constantFrom('-1', '1e309', '1.5', 'null', '[]', '{}', '""', '"x"', '99999999999', 'true'),
  )
  .map(([a, b, p, q, kind, edge]) => {
    const s = seeds[a]!; // fc.nat(seeds.length - 1)
    const at = p % (s.length + 1);
    if (kind === 0) return s.slice(0, at) + String.fromCharCode(s.charCodeAt(at) ^ (1 << (q % 7)) || 32) + s.slice(at + 1);
    if (kind === 1) return s.slice(0, at);
    if (kind === 2) return s.slice(0, at) + seeds[b]!.slice(q % (seeds[b]!.length + 1));
    return s.replace(/\d+|"[^"]*"/g, (m, offset: number) => (offset >= at && offset < at + 40 ? edge : m));
  });
const text = fc.oneof(
  mutated,
  fc.string({ maxLength: 300 }),
  fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }).map((vs) => vs.map((v) => JSON.stringify(v)).join('\n')),
);

function onlyCliErrors(run: () => void): boolean {
  try {
    run();
    return true;
  } catch (e) {
    if (e instanceof CliError && e.message.startsWith('f.jsonl')) return true;
    throw e;
  }
}

describe('JSONL inputs', () => {
  it(
    'gptj eval files: pairs or choice items, or a CliError',
    () => {
      fuzz(
        'cli-eval-jsonl',
        [text],
        (t) =>
          onlyCliErrors(() => {
            const data = parseEvalData(t, 'f.jsonl');
            const ok =
              data.kind === 'pairs'
                ? data.pairs.every((p) => typeof p.context === 'string' && typeof p.continuation === 'string' && p.continuation !== '')
                : data.items.every(
                    (i) => typeof i.context === 'string' && i.choices.length >= 2 && Number.isInteger(i.label) && i.label >= 0 && i.label < i.choices.length,
                  );
            if (!ok) throw new Error(`malformed examples accepted from ${JSON.stringify(t)}`);
          }),
        { maxMsPerInput: 1000 },
      );
    },
    fuzzTimeoutMs,
  );

  it(
    'gptj embed files: texts or integer id arrays, or a CliError',
    () => {
      fuzz(
        'cli-embed-jsonl',
        [text],
        (t) =>
          onlyCliErrors(() => {
            const inputs = parseEmbedJsonl(t, 'f.jsonl');
            if (inputs.length === 0 || !inputs.every((x) => typeof x === 'string' || (Array.isArray(x) && x.every((id) => Number.isInteger(id))))) {
              throw new Error(`malformed inputs accepted from ${JSON.stringify(t)}`);
            }
          }),
        { maxMsPerInput: 1000 },
      );
    },
    fuzzTimeoutMs,
  );
});
