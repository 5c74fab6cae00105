// The sampling settings: every field the API's /v1/completions and /v1/chat/completions accept that changes what is
// generated (apps/server/src/schemas.ts), as form inputs, and their values as request fields. An empty input leaves
// the field out, so the server's default applies. `n` and `best_of` are offered in completion mode only (a chat shows
// one reply).

/** The input of either penalty: the API accepts -2 to 2 for both, 0 (off) by default. */
const PENALTY = { kind: 'number', min: -2, max: 2, step: 0.1, value: '', placeholder: '0' };

/** Field definitions: `kind` says how the input's text becomes the request value. */
export const OPTIONS = [
  { field: 'max_tokens', label: 'max tokens', kind: 'int', min: 1, value: '64', hint: 'tokens to generate at most' },
  { field: 'temperature', label: 'temperature', kind: 'number', min: 0, max: 2, step: 0.05, value: '0.7', hint: '0: greedy (always the most likely token)' },
  {
    field: 'top_p',
    label: 'top p',
    kind: 'number',
    above: 0,
    max: 1,
    step: 0.01,
    value: '',
    placeholder: '1',
    hint: 'sample from the smallest set of tokens whose probabilities add up to this',
  },
  { field: 'top_k', label: 'top k', kind: 'int', min: 0, value: '', placeholder: 'off', hint: 'sample from the k most likely tokens only (0: off)' },
  { field: 'presence_penalty', label: 'presence penalty', ...PENALTY, hint: 'lowers the logit of every token already generated' },
  { field: 'frequency_penalty', label: 'frequency penalty', ...PENALTY, hint: 'lowers the logit of a token by how often it was generated' },
  {
    field: 'seed',
    label: 'seed',
    kind: 'int',
    min: 0,
    max: 4294967295,
    value: '',
    placeholder: 'random',
    hint: 'the same seed and settings give the same text',
  },
  {
    field: 'n',
    label: 'completions (n)',
    kind: 'int',
    min: 1,
    value: '',
    placeholder: '1',
    modes: ['completion'],
    hint: 'several completions of the prompt, one below the other',
  },
  {
    field: 'best_of',
    label: 'best of',
    kind: 'int',
    min: 1,
    value: '',
    placeholder: 'n',
    modes: ['completion'],
    hint: 'generate this many and keep the n with the highest mean token logprob (not streamed)',
  },
  {
    field: 'stop',
    label: 'stop sequences',
    kind: 'stop',
    value: '',
    placeholder: 'one per line, up to 4; \\n is a newline',
    hint: 'generation ends before any of these',
  },
  {
    field: 'logit_bias',
    label: 'logit bias',
    kind: 'bias',
    value: '',
    placeholder: '{"50256": -100, " def": 5}',
    hint: 'JSON: token id or text -> bias from -100 to 100 (a text adds the bias to each of its tokens)',
  },
];

/** A setting the user got wrong, named by its label. */
export class OptionError extends Error {
  constructor(label, message) {
    super(`${label}: ${message}`);
    this.name = 'OptionError';
  }
}

/** Builds the inputs into `container`; returns them by field. */
export function renderOptions(container) {
  const inputs = {};
  for (const o of OPTIONS) {
    const label = document.createElement('label');
    label.className = 'option';
    label.title = o.hint;
    if (o.modes) label.dataset.modes = o.modes.join(' ');
    const name = document.createElement('span');
    name.textContent = o.label;
    const multiline = o.kind === 'stop' || o.kind === 'bias';
    const input = document.createElement(multiline ? 'textarea' : 'input');
    input.id = `opt-${o.field}`;
    input.name = o.field;
    if (multiline) {
      input.rows = 2;
      input.spellcheck = false;
    } else {
      input.type = 'number';
      for (const a of ['min', 'max', 'step']) if (o[a] !== undefined) input[a] = String(o[a]);
      if (o.kind === 'int') input.step = '1';
    }
    input.placeholder = o.placeholder ?? '';
    input.value = o.value;
    label.append(name, input);
    container.append(label);
    inputs[o.field] = input;
  }
  return inputs;
}

/** `\n`, `\t` and `\\` in a stop sequence as typed, so a newline can be a stop sequence. */
function unescapeStop(text) {
  return text.replace(/\\([nt\\])/g, (_, c) => ({ n: '\n', t: '\t', '\\': '\\' })[c]);
}

function parseNumber(o, text) {
  const v = Number(text);
  if (!Number.isFinite(v)) throw new OptionError(o.label, `${JSON.stringify(text)} is not a number`);
  if (o.kind === 'int' && !Number.isInteger(v)) throw new OptionError(o.label, `must be a whole number, got ${text}`);
  if (o.above !== undefined && v <= o.above) throw new OptionError(o.label, `must be more than ${o.above}, got ${text}`);
  if (o.min !== undefined && v < o.min) throw new OptionError(o.label, `must be at least ${o.min}, got ${text}`);
  if (o.max !== undefined && v > o.max) throw new OptionError(o.label, `must be at most ${o.max}, got ${text}`);
  return v;
}

function parseStop(o, text) {
  const stops = text
    .split('\n')
    .filter((s) => s !== '')
    .map(unescapeStop);
  if (stops.length > 4) throw new OptionError(o.label, `at most 4, got ${stops.length}`);
  return stops;
}

/** Logit bias as JSON; keys that are not token ids are texts, turned into ids with `tokenize`. */
async function parseBias(o, text, tokenize) {
  let raw;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new OptionError(o.label, `not valid JSON (${err.message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new OptionError(o.label, 'must be a JSON object like {"50256": -100}');
  const bias = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'number' || value < -100 || value > 100)
      throw new OptionError(o.label, `the bias of ${JSON.stringify(key)} must be a number from -100 to 100`);
    let ids = [Number(key)];
    if (!/^[0-9]+$/.test(key)) {
      try {
        ids = await tokenize(key);
      } catch (err) {
        throw new OptionError(o.label, err.message);
      }
    }
    if (ids.length === 0) throw new OptionError(o.label, `${JSON.stringify(key)} has no tokens`);
    for (const id of ids) bias[id] = value;
  }
  return bias;
}

/**
 * The request fields the inputs hold for `mode` (empty ones left out); `tokenize(text)` gives the ids of a
 * logit-bias text. Throws OptionError naming the setting that is wrong.
 */
export async function readOptions(inputs, mode, tokenize) {
  const body = {};
  for (const o of OPTIONS) {
    if (o.modes && !o.modes.includes(mode)) continue;
    const input = inputs[o.field];
    // a number input holding text that is no number reads as '': say so instead of silently leaving it out
    if (input.validity.badInput) throw new OptionError(o.label, 'is not a number');
    const text = input.value;
    // a stop sequence may be a space; elsewhere blank means "not set"
    if (o.kind === 'stop' ? text === '' : text.trim() === '') continue;
    if (o.kind === 'stop') {
      const stops = parseStop(o, text);
      if (stops.length > 0) body.stop = stops;
    } else if (o.kind === 'bias') body.logit_bias = await parseBias(o, text, tokenize);
    else body[o.field] = parseNumber(o, text.trim());
  }
  return body;
}
