// The completion mode's output: the prompt (greyed) and the text generated after it; with n > 1, one block per
// choice, each with a button that appends it to the prompt.
import { appendText, appendTokens } from './token-view.js';

function render(body, text, tokens) {
  body.replaceChildren();
  if (tokens.length > 0) appendTokens(body, tokens);
  else appendText(body, text);
}

export class CompletionOutput {
  /** `onUse(text)` is called when a choice's "append" button is pressed. */
  constructor(container, onUse) {
    this.container = container;
    this.onUse = onUse;
    this.bodies = [];
  }

  /** Clears the output for a generation of `n` choices after `prompt`. */
  start(prompt, n) {
    if (n === 1) {
      const shown = document.createElement('span');
      shown.className = 'prompt';
      shown.textContent = prompt;
      const body = document.createElement('span');
      body.className = 'generated';
      this.container.replaceChildren(shown, body);
      this.bodies = [body];
      return;
    }
    this.bodies = [];
    this.container.replaceChildren(
      ...Array.from({ length: n }, (_, i) => {
        const block = document.createElement('div');
        block.className = 'choice';
        const head = document.createElement('div');
        head.className = 'choice-head';
        const label = document.createElement('span');
        label.textContent = `choice ${i + 1}`;
        const use = document.createElement('button');
        use.className = 'icon';
        use.textContent = 'append to prompt';
        use.addEventListener('click', () => this.onUse(block.querySelector('.generated').textContent));
        head.append(label, use);
        const body = document.createElement('div');
        body.className = 'generated';
        block.append(head, body);
        this.bodies.push(body);
        return block;
      }),
    );
  }

  piece(index, piece) {
    const body = this.bodies[index];
    if (!body) return;
    if (piece.tokens.length > 0) appendTokens(body, piece.tokens);
    else appendText(body, piece.text);
  }

  /** Shows each choice's final text: `tokens` (with probabilities) when there are any. */
  done(choices) {
    choices.forEach((c, i) => {
      if (this.bodies[i]) render(this.bodies[i], c.text, c.tokens);
    });
  }

  clear() {
    this.container.replaceChildren();
    this.bodies = [];
  }
}
