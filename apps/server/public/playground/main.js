// The playground page: completion and chat modes over the server's OpenAI-style API, every sampling setting, a Stop
// button that aborts the request, timings, and the token-probability view. No framework and no build step.
import { Conversation } from './conversation.js';
import { ApiError, ENDPOINTS, generate } from './generation.js';
import { readOptions, renderOptions } from './options.js';
import { loadState, saveState } from './saved-state.js';
import { clearStats, showStats, showStatus } from './stats.js';
import { appendText, appendTokens } from './token-view.js';
import { fitTokens } from './tokens.js';
import { installTooltip } from './tooltip.js';

const $ = (id) => document.getElementById(id);
const inputs = renderOptions($('options'));
const conversation = new Conversation($('messages'), save);
let mode = 'completion';
let controller = null;
let lastCompletion = '';
/** The model's context length in tokens, once /v1/models has answered. */
let contextLength = null;
/** Whether the server streams logprobs; set false the first time it refuses `logprobs` with `stream`. */
let streamsLogprobs = true;

function save() {
  const options = Object.fromEntries(Object.entries(inputs).map(([field, input]) => [field, input.value]));
  saveState({
    mode,
    prompt: $('prompt').value,
    messages: conversation.request(),
    options,
    stream: $('stream').checked,
    probs: $('probs').checked,
    alternatives: $('top-logprobs').value,
  });
}

function restore() {
  const s = loadState();
  if (typeof s.prompt === 'string') $('prompt').value = s.prompt;
  for (const [field, value] of Object.entries(s.options ?? {})) if (inputs[field] && typeof value === 'string') inputs[field].value = value;
  if (typeof s.stream === 'boolean') $('stream').checked = s.stream;
  if (typeof s.probs === 'boolean') $('probs').checked = s.probs;
  if (typeof s.alternatives === 'string') $('top-logprobs').value = s.alternatives;
  if (Array.isArray(s.messages)) conversation.load(s.messages.filter((m) => typeof m?.role === 'string' && typeof m?.content === 'string'));
  setMode(s.mode === 'chat' ? 'chat' : 'completion');
}

function setMode(next) {
  mode = next;
  for (const tab of document.querySelectorAll('[data-mode]')) tab.setAttribute('aria-selected', String(tab.dataset.mode === mode));
  $('completion-pane').hidden = mode !== 'completion';
  $('chat-pane').hidden = mode !== 'chat';
  $('endpoint').textContent = `POST ${ENDPOINTS[mode]}`;
  conversation.render(); // text boxes size themselves only once visible
  save();
}

function setBusy(busy) {
  for (const id of ['generate', 'send', 'reset']) $(id).disabled = busy;
  for (const id of ['stop', 'chat-stop']) $(id).disabled = !busy;
  $('append').disabled = busy || lastCompletion === '';
}

async function tokenize(text) {
  const res = await fetch('/tokenize', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content: text }) });
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
      $('prompt-tokens').textContent = `${n} token${n === 1 ? '' : 's'}${contextLength === null ? '' : ` · ${Math.max(0, contextLength - n)} left for the completion`}`;
    } catch {
      $('prompt-tokens').textContent = '';
    }
  }, 250);
}

/** The request body of the current mode, or null (with the reason shown) when there is nothing to send. */
function requestBody(options) {
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

/** Where the generated text goes: the output box after the prompt, or a new assistant message. */
function target() {
  if (mode === 'chat') return conversation.beginReply();
  const out = $('output');
  const prompt = document.createElement('span');
  prompt.className = 'prompt';
  prompt.textContent = $('prompt').value;
  const body = document.createElement('span');
  body.className = 'generated';
  out.replaceChildren(prompt, body);
  const show = (text, tokens) => {
    lastCompletion = text;
    body.replaceChildren();
    if (tokens.length > 0) appendTokens(body, tokens);
    else appendText(body, text);
  };
  return { body, done: show, drop: () => show('', []) };
}

/** The request as asked for, or unstreamed when the server cannot stream probabilities. */
async function generateOnce(request) {
  try {
    return await generate(request);
  } catch (err) {
    if (!(err instanceof ApiError && err.param === 'logprobs' && request.stream && request.alternatives !== null)) throw err;
    streamsLogprobs = false;
    return generate({ ...request, stream: false });
  }
}

async function run() {
  if (controller) return;
  let options;
  try {
    options = await readOptions(inputs, tokenize);
  } catch (err) {
    showStatus(err.message, 'error');
    return;
  }
  const body = requestBody(options);
  if (body === null) return;
  save();
  const alternatives = $('probs').checked ? Number($('top-logprobs').value) : null;
  const stream = $('stream').checked && (alternatives === null || streamsLogprobs);
  controller = new AbortController();
  setBusy(true);
  clearStats();
  showStatus(stream ? 'generating…' : 'generating (not streamed)…', 'busy');
  const out = target();
  const onPiece = (piece) => {
    if (piece.tokens.length > 0) appendTokens(out.body, piece.tokens);
    else appendText(out.body, piece.text);
  };
  try {
    const r = await generateOnce({ mode, body, stream, alternatives, signal: controller.signal, onPiece });
    if (r.text === '' && mode === 'chat') out.drop();
    else out.done(r.text, alternatives === null ? [] : fitTokens(r.tokens, r.text));
    showStats(r.stats, r.finish);
    showStatus(r.finish === 'stopped' ? 'stopped' : `done in ${(r.stats.totalMs / 1000).toFixed(2)} s`);
  } catch (err) {
    out.drop();
    showStatus(err.message, 'error');
  } finally {
    controller = null;
    setBusy(false);
    save();
  }
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
$('append').addEventListener('click', () => {
  $('prompt').value += lastCompletion;
  lastCompletion = '';
  countPrompt();
  $('output').replaceChildren();
  setBusy(false);
  save();
});
function showProbabilityControls() {
  $('legend').hidden = !$('probs').checked;
  $('top-logprobs').disabled = !$('probs').checked;
}

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
fetch('/v1/models')
  .then((r) => r.json())
  .then((m) => {
    $('model').textContent = m.data[0].id;
    contextLength = m.data[0].context_length;
    $('context').textContent = `· ${contextLength} tokens of context`;
    countPrompt();
  })
  .catch(() => showStatus('could not reach the server', 'error'));
