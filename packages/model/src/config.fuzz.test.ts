// Fuzz target for config.json (issue 15): the text loadModel reads, parsed and then checked against the
// fixture checkpoint's tensors (what loadModel does next). Seeds are the fixture's and the mini-code
// checkpoint's config.json, mutated as text (edge numbers such as -1, 2^31, 2^53, 1e999, NaN; duplicated keys;
// deep nesting; truncation), plus configs generated field by field. Invariant: a ConfigError or a
// CheckpointMismatchError, or a config inside the documented limits whose token ids are rows of the logits;
// every input within the time bound.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath } from '@gptj/test-fixtures';
import { fuzz, fuzzTimeoutMs } from '@gptj/test-fixtures/fuzz';
import { miniCodeDir } from '@gptj/mini-code';
import { describe, it } from 'vitest';
import { CONFIG_LIMITS, type GPTJConfig, parseGPTJConfigText } from './config.js';
import { checkTensors } from './checkpoint/expected.js';
import { mutatedOrGenerated, onlyTypedErrors } from './test-support/mutate.js';
import { openSafetensors } from './checkpoint/safetensors.js';
import { CheckpointMismatchError, ConfigError } from './errors.js';

const enc = new TextEncoder();
const seeds = [fixturePath('gptj-small-f32', 'config.json'), join(miniCodeDir, 'config.json')].map((p) => new Uint8Array(readFileSync(p)));
const fixture = openSafetensors(fixturePath('gptj-small-f32', 'model.safetensors'));
const tensors = fixture.tensors; // headers only; the files stay open for the test file's lifetime

const EDGE = [-1, 0, 1, 2, 3, 7, 8, 16, 64, 128, 512, 1024, 2 ** 31, 2 ** 53, 1.5, null, '8', true, [], [1, 2]];
const value = fc.oneof({ arbitrary: fc.constantFrom(...EDGE), weight: 3 }, { arbitrary: fc.integer({ min: -2, max: 70_000 }), weight: 2 });
const generated = fc
  .record(
    {
      model_type: fc.constantFrom('gptj', 'gpt2', 7),
      vocab_size: value,
      n_positions: value,
      n_embd: value,
      n_layer: value,
      n_head: value,
      n_inner: value,
      rotary_dim: value,
      layer_norm_epsilon: fc.constantFrom(1e-5, 0, -1, 1e308, '1e-5', null),
      activation_function: fc.constantFrom('gelu_new', 'gelu', 'relu', null),
      bos_token_id: value,
      eos_token_id: value,
      pad_token_id: value,
      tie_word_embeddings: fc.constantFrom(true, false, 'false', null),
    },
    { requiredKeys: [] },
  )
  .map((c) => enc.encode(JSON.stringify(c)));

function checkConfig(c: GPTJConfig): void {
  const ids = [c.bosTokenId, c.eosTokenId].filter((id) => id !== null);
  const ok =
    c.nLayer <= CONFIG_LIMITS.n_layer &&
    c.nEmbd <= CONFIG_LIMITS.n_embd &&
    c.nHead <= CONFIG_LIMITS.n_head &&
    c.nInner <= CONFIG_LIMITS.n_inner &&
    c.vocabSize <= CONFIG_LIMITS.vocab_size &&
    c.nPositions <= CONFIG_LIMITS.n_positions &&
    c.nEmbd % c.nHead === 0 &&
    c.rotaryDim % 2 === 0 &&
    c.rotaryDim <= c.nEmbd / c.nHead &&
    Number.isFinite(c.layerNormEpsilon) &&
    ids.every((id) => Number.isInteger(id) && id! >= 0 && id! < c.vocabSize);
  if (!ok) throw new Error(`accepted an out-of-range config ${JSON.stringify(c)}`);
}

describe('config.json fuzz target', () => {
  it(
    'parses to a config inside the limits that checkTensors judges quickly, or a typed error',
    () => {
      fuzz(
        'config-json',
        [mutatedOrGenerated(seeds, generated, { generatedDonors: () => seeds })],
        (bytes) => {
          onlyTypedErrors(
            () => {
              const config = parseGPTJConfigText(new TextDecoder().decode(bytes));
              checkConfig(config);
              checkTensors(config, tensors);
            },
            ConfigError,
            CheckpointMismatchError,
          );
        },
        { maxMsPerInput: 1000 },
      );
    },
    fuzzTimeoutMs,
  );
});
