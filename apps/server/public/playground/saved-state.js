// What the page remembers across reloads (in this browser's localStorage): the mode, the prompt, the conversation
// and every setting, so the playground can be left open, closed and come back to as it was.

const KEY = 'gptj-playground';

export function loadState() {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '{}') ?? {};
  } catch {
    return {}; // storage off (private mode) or a value that is not JSON: start fresh
  }
}

export function saveState(state) {
  try {
    localStorage.setItem(KEY, JSON.stringify(state));
  } catch {
    // storage off or full: the page still works, it just forgets
  }
}
