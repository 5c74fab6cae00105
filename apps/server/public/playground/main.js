// The playground page: completion and chat modes over the server's OpenAI-style API, every sampling setting, a Stop
// button that aborts the request, timings, and the token-probability view. No framework and no build step.
import { CompletionOutput } from './completion-output.js';
import { Conversation } from './conversation.js';
import { showCurl } from './curl-view.js';
import { ENDPOINTS, generate } from './generation.js';
import { readOptions, renderOptions } from './options.js';
import { loadState, saveState } from './saved-state.js';
import { clearStats, showStats, showStatus } from './stats.js';
import { appendText, appendTokens } from './token-view.js';
import { fitTokens } from './tokens.js';
import { installTooltip } from './tooltip.js';

const $ = (id) => document.getElementById(id);
const inputs = renderOptions($('options'));
const conversation = new Conversation($('messages'), save);
const output = new CompletionOutput($('output'), appendToPrompt);
let mode = 'completion';
let controller = null;
let lastCompletion = '';
/** The model's context length in tokens, once /v1/models has answered. */
let contextLength = null;

function save() {
  const options = Object.fromEntries(Object.entries(inputs).map(([field, input]) => [field, input.value]));
  saveState({
    mode,
    prompt: $('prompt').value,
    messages: conversation.request(),
    options,
    stream: $('stream').checked,
    json: $('json').checked,
    probs: $('probs').checked,
    alternatives: $('top-logprobs').value,
  });
}

function restore() {
  const s = loadState();
  if (typeof s.prompt === 'string') $('prompt').value = s.prompt;
  for (const [field, value] of Object.entries(s.options ?? {})) if (inputs[field] && typeof value === 'string') inputs[field].value = value;
  if (typeof s.stream === 'boolean') $('stream').checked = s.stream;
  if (typeof s.json === 'boolean') $('json').checked = s.json;
  if (typeof s.probs === 'boolean') $('probs').checked = s.probs;
  if (typeof s.alternatives === 'string') $('top-logprobs').value = s.alternatives;
  if (Array.isArray(s.messages)) conversation.load(s.messages);
  setMode(s.mode === 'chat' ? 'chat' : 'completion');
}

function setMode(next) {
  mode = next;
  for (const tab of document.querySelectorAll('[data-mode]')) tab.setAttribute('aria-selected', String(tab.dataset.mode === mode));
  $('completion-pane').hidden = mode !== 'completion';
  $('chat-pane').hidden = mode !== 'chat';
  $('endpoint').textContent = `POST /${ENDPOINTS[mode]}`;
  for (const option of document.querySelectorAll('.option[data-modes]')) option.hidden = !option.dataset.modes.split(' ').includes(mode);
  conversation.render(); // text boxes size themselves only once visible
  save();
}

function setBusy(busy) {
  for (const id of ['generate', 'send', 'reset']) $(id).disabled = busy;
  for (const id of ['stop', 'chat-stop']) $(id).disabled = !busy;
  $('append').disabled = busy || lastCompletion === '';
}

async function tokenize(text) {
  const res = await fetch('tokenize', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content: text }) });
  if (!res.ok) throw new Error(`could not tokenize ${JSON.stringify(text.slice(0, 40))} (${res.status})`);
  return (await res.json()).tokens;
}

let countTimer;
/** The prompt's length in tokens (and the room left in the context), a moment after the typing stops. */
function countPrompt() {
  clearTimeout(countTimer);
  countTimer = setTimeout(async () => {
    try {
      const n = (await tokenize($('prompt').value)).length;
      $('prompt-tokens').textContent =
        `${n} token${n === 1 ? '' : 's'}${contextLength === null ? '' : ` · ${Math.max(0, contextLength - n)} left for the completion`}`;
    } catch {
      $('prompt-tokens').textContent = '';
    }
  }, 250);
}

/** The request body of the current mode, or null (with the reason shown) when there is nothing to send. */
function requestBody(settings) {
  const options = $('json').checked ? { ...settings, response_format: { type: 'json_object' } } : settings;
  if (mode === 'completion') return { prompt: $('prompt').value, ...options };
  const typed = $('composer').value;
  if (typed.trim() !== '') {
    conversation.add('user', typed);
    $('composer').value = '';
  }
  if (conversation.messages.length === 0) {
    showStatus('type a message first', 'error');
    return null;
  }
  return { messages: conversation.request(), ...options };
}

/**
 * Where the generated text goes: the output box (one block per choice), or a new assistant message. `done(choices)`
 * shows the final text of each, with its tokens' probabilities when `probabilities` is set.
 */
function target(n, probabilities) {
  const fitted = (c) => ({ ...c, tokens: probabilities ? fitTokens(c.tokens, c.text) : [] });
  if (mode === 'chat') {
    const reply = conversation.beginReply();
    return {
      piece: (_index, piece) => (piece.tokens.length > 0 ? appendTokens(reply.body, piece.tokens) : appendText(reply.body, piece.text)),
      done: ([c]) => (c && c.text !== '' ? reply.done(c.text, fitted(c).tokens) : reply.drop()),
      drop: reply.drop,
    };
  }
  output.start($('prompt').value, n);
  return {
    piece: (index, piece) => output.piece(index, piece),
    done: (choices) => {
      lastCompletion = choices.length === 1 ? choices[0].text : '';
      output.done(choices.map(fitted));
    },
    drop: () => output.clear(),
  };
}

/** Continues from a completion: its text goes to the end of the prompt, the output is cleared. */
function appendToPrompt(text) {
  $('prompt').value += text;
  lastCompletion = '';
  output.clear();
  setBusy(false);
  countPrompt();
  save();
}

async function run() {
  if (controller) return;
  let options;
  try {
    options = await readOptions(inputs, mode, tokenize);
  } catch (err) {
    showStatus(err.message, 'error');
    return;
  }
  const body = requestBody(options);
  if (body === null) return;
  save();
  const alternatives = $('probs').checked ? Number($('top-logprobs').value) : null;
  // best_of > n ranks whole sequences after they end: the server does not stream it
  const stream = $('stream').checked && !((body.best_of ?? 1) > (body.n ?? 1));
  controller = new AbortController();
  setBusy(true);
  clearStats();
  showStatus(stream ? 'generating…' : 'generating (not streamed)…', 'busy');
  const out = target(body.n ?? 1, alternatives !== null);
  const request = { mode, body, stream, alternatives };
  showCurl($('curl'), request);
  try {
    const r = await generate({ ...request, signal: controller.signal, onPiece: out.piece });
    out.done(r.choices);
    const finish = [...new Set(r.choices.map((c) => c.finish))].join(', ') || 'stopped';
    showStats(r.stats, finish);
    showStatus(controller.signal.aborted ? 'stopped' : `done in ${(r.stats.totalMs / 1000).toFixed(2)} s`);
  } catch (err) {
    out.drop();
    showStatus(err.message, 'error');
  } finally {
    controller = null;
    setBusy(false);
    save();
  }
}

function showProbabilityControls() {
  $('legend').hidden = !$('probs').checked;
  $('top-logprobs').disabled = !$('probs').checked;
}

function stop() {
  controller?.abort();
}

function onKey(event) {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    run();
  } else if (event.key === 'Escape') stop();
}

for (const tab of document.querySelectorAll('[data-mode]')) tab.addEventListener('click', () => setMode(tab.dataset.mode));
$('generate').addEventListener('click', run);
$('send').addEventListener('click', run);
$('stop').addEventListener('click', stop);
$('chat-stop').addEventListener('click', stop);
$('reset').addEventListener('click', () => conversation.reset());
$('add-message').addEventListener('click', () => {
  // a first message is most often the system prompt; after that, the turns alternate
  const last = conversation.messages.at(-1)?.role;
  conversation.add(last === undefined ? 'system' : last === 'user' ? 'assistant' : 'user', '');
  $('messages').lastElementChild.querySelector('textarea').focus();
});
$('append').addEventListener('click', () => appendToPrompt(lastCompletion));
$('probs').addEventListener('change', showProbabilityControls);
document.addEventListener('keydown', onKey);
document.querySelector('.settings').addEventListener('input', save);
$('prompt').addEventListener('input', () => {
  save();
  countPrompt();
});
installTooltip($('tooltip'));

restore();
showProbabilityControls();
setBusy(false);
fetch('v1/models')
  .then((r) => r.json())
  .then((m) => {
    $('model').textContent = m.data[0].id;
    contextLength = m.data[0].context_length;
    $('context').textContent = `· ${contextLength} tokens of context`;
    countPrompt();
  })
  .catch(() => showStatus('could not reach the server', 'error'));
