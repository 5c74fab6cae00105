// Generated text in an element: plain pieces as they stream, or one span per token coloured by its probability
// (the CSS maps --p, from 0 to 1, to a red-to-green background). The token behind each span is kept for the tooltip.

const tokenOfSpan = new WeakMap();

/** The token a span shows, or undefined for anything else. */
export function spanToken(element) {
  return tokenOfSpan.get(element);
}

export function appendText(container, text) {
  container.append(document.createTextNode(text));
}

/** Appends a span per token (`{ text, logprob, top }`). */
export function appendTokens(container, tokens) {
  for (const t of tokens) {
    const span = document.createElement('span');
    span.className = 'tok';
    // a newline's background is invisible: CSS draws a ↵ before it
    if (t.text.includes('\n')) span.classList.add('nl');
    span.textContent = t.text;
    span.style.setProperty('--p', String(Math.exp(t.logprob)));
    tokenOfSpan.set(span, t);
    container.append(span);
  }
}
