// The chat mode's message list: each message's role and text can be edited, removed, or added by hand; a reply
// streams into a new assistant message. A reply shown with token probabilities turns into a text box on "edit".
import { appendTokens } from './token-view.js';

const ROLES = ['system', 'user', 'assistant'];

/** A text box that grows with its content. */
function autosize(textarea) {
  textarea.style.height = 'auto';
  textarea.style.height = `${textarea.scrollHeight + 2}px`;
}

export class Conversation {
  /** `onChange()` is called after every edit (to save the state). */
  constructor(list, onChange) {
    this.list = list;
    this.onChange = onChange;
    /** `{ role, content, tokens? }`; `tokens` (with probabilities) only on a reply not edited since. */
    this.messages = [];
    /** The item of the reply being generated, kept last when the list is redrawn (a message removed meanwhile). */
    this.pending = null;
  }

  /** Shows saved messages; anything that is not a message of a known role (an older page's, edited storage) is left out. */
  load(messages) {
    this.messages = messages.filter((m) => ROLES.includes(m?.role) && typeof m.content === 'string').map(({ role, content }) => ({ role, content }));
    this.render();
  }

  add(role, content) {
    this.messages.push({ role, content });
    this.render();
    this.onChange();
  }

  reset() {
    this.messages = [];
    this.render();
    this.onChange();
  }

  /** The messages as the API takes them. */
  request() {
    return this.messages.map(({ role, content }) => ({ role, content }));
  }

  /**
   * Adds an assistant message for a reply being generated: its pieces go into `body`; `done(text, tokens)` keeps
   * it (with the tokens' probabilities when there are any), `drop()` removes it (nothing was generated).
   */
  beginReply() {
    const { item, body } = this.shell({ role: 'assistant' }, this.messages.length, true);
    this.pending = item;
    this.list.append(item);
    item.scrollIntoView({ block: 'end' });
    return {
      body,
      done: (content, tokens) => {
        this.pending = null;
        this.messages.push(tokens.length > 0 ? { role: 'assistant', content, tokens } : { role: 'assistant', content });
        this.render();
        this.onChange();
      },
      drop: () => {
        this.pending = null;
        item.remove();
      },
    };
  }

  render() {
    this.list.replaceChildren(...this.messages.map((m, i) => this.item(m, i)), ...(this.pending ? [this.pending] : []));
    for (const t of this.list.querySelectorAll('textarea')) autosize(t);
  }

  /** The frame of a message: role picker, remove button, and an empty body. */
  shell(message, index, pending = false) {
    const item = document.createElement('li');
    item.className = `message ${message.role}`;
    const head = document.createElement('div');
    head.className = 'message-head';
    const role = document.createElement('select');
    role.setAttribute('aria-label', `role of message ${index + 1}`);
    role.disabled = pending;
    for (const r of ROLES) role.add(new Option(r, r, false, r === message.role));
    role.addEventListener('change', () => {
      this.messages[index].role = role.value;
      item.className = `message ${role.value}`;
      this.onChange();
    });
    const remove = document.createElement('button');
    remove.className = 'icon';
    remove.title = 'remove this message';
    remove.setAttribute('aria-label', `remove message ${index + 1}`);
    remove.textContent = '×';
    remove.disabled = pending;
    remove.addEventListener('click', () => {
      this.messages.splice(index, 1);
      this.render();
      this.onChange();
    });
    head.append(role, remove);
    const body = document.createElement('div');
    body.className = 'message-body';
    item.append(head, body);
    return { item, body, head };
  }

  item(message, index) {
    const { item, body, head } = this.shell(message, index);
    if (message.tokens) {
      body.classList.add('tokens');
      appendTokens(body, message.tokens);
      const edit = document.createElement('button');
      edit.className = 'icon';
      edit.title = 'edit this reply (its probabilities are dropped)';
      edit.textContent = 'edit';
      edit.addEventListener('click', () => {
        delete message.tokens;
        this.render();
        this.list.children[index].querySelector('textarea').focus();
      });
      head.insertBefore(edit, head.lastChild);
      return item;
    }
    const text = document.createElement('textarea');
    text.rows = 1;
    text.spellcheck = false;
    text.value = message.content;
    text.setAttribute('aria-label', `message ${index + 1}`);
    text.addEventListener('input', () => {
      message.content = text.value;
      autosize(text);
      this.onChange();
    });
    body.append(text);
    return item;
  }
}
