// The alternatives tooltip: hovering a token span shows its probability and the model's most likely
// tokens at that position, as bars. One element for the page, placed next to the token and kept inside the window.
import { spanToken } from './token-view.js';
import { percent } from './tokens.js';

/** A token as code: quotes, with whitespace and control characters escaped so a space or a newline is visible. */
export function showToken(text) {
  return JSON.stringify(text);
}

function row(alt, chosen) {
  const li = document.createElement('li');
  if (alt.text === chosen.text) li.className = 'chosen';
  const name = document.createElement('code');
  name.textContent = showToken(alt.text);
  const bar = document.createElement('span');
  bar.className = 'bar';
  bar.style.setProperty('--p', String(Math.exp(alt.logprob)));
  const value = document.createElement('span');
  value.className = 'pct';
  value.textContent = percent(alt.logprob);
  li.append(name, bar, value);
  return li;
}

function fill(tip, token) {
  const head = document.createElement('div');
  head.className = 'tip-head';
  const name = document.createElement('code');
  name.textContent = showToken(token.text);
  const value = document.createElement('span');
  value.className = 'pct';
  value.textContent = `${percent(token.logprob)} · logprob ${token.logprob.toFixed(3)}`;
  head.append(name, value);
  tip.replaceChildren(head);
  if (token.top.length > 0) {
    const list = document.createElement('ol');
    list.className = 'alts';
    list.append(...token.top.map((alt) => row(alt, token)));
    tip.append(list);
  }
}

function place(tip, span) {
  const r = span.getBoundingClientRect();
  tip.hidden = false;
  const w = tip.offsetWidth;
  const h = tip.offsetHeight;
  const left = Math.max(8, Math.min(r.left, window.innerWidth - w - 8));
  const below = r.bottom + 6 + h <= window.innerHeight;
  tip.style.left = `${left + window.scrollX}px`;
  tip.style.top = `${(below ? r.bottom + 6 : r.top - 6 - h) + window.scrollY}px`;
}

export function installTooltip(tip) {
  const show = (event) => {
    const token = spanToken(event.target);
    if (!token) return;
    fill(tip, token);
    place(tip, event.target);
  };
  const hide = (event) => {
    if (spanToken(event.target)) tip.hidden = true;
  };
  document.addEventListener('mouseover', show);
  document.addEventListener('mouseout', hide);
}
