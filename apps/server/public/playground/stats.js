// The status line under the work area: what the page is doing, and the last generation's numbers.
const $ = (id) => document.getElementById(id);

/** `kind`: '' (plain), 'busy' or 'error'. */
export function showStatus(text, kind = '') {
  $('status').textContent = text;
  $('status').className = `status ${kind}`;
}

export function clearStats() {
  for (const id of ['ttft', 'tokens', 'speed', 'finish']) $(id).textContent = '–';
}

/** Shows a generation's `{ ttftMs, totalMs, tokens, tokensPerSecond }` and finish reason. */
export function showStats(stats, finish) {
  $('ttft').textContent = stats.ttftMs === null ? 'not streamed' : `${Math.round(stats.ttftMs)} ms`;
  $('tokens').textContent = String(stats.tokens);
  $('speed').textContent = stats.tokensPerSecond === null ? '–' : `${stats.tokensPerSecond.toFixed(1)} tok/s`;
  $('finish').textContent = finish;
}
