// Generated tokens with their probabilities, from either logprobs shape the API returns (or streams, a chunk at a
// time): legacy completions' `{ tokens, token_logprobs, top_logprobs: [{ text: logprob }] }` and chat's
// `{ content: [{ token, logprob, top_logprobs: [{ token, logprob }] }] }`. One shape for the view:
// `{ text, logprob, top: [{ text, logprob }] }`, the alternatives most likely first.

export function tokensOf(logprobs) {
  if (!logprobs) return [];
  if (Array.isArray(logprobs.content)) {
    return logprobs.content.map((t) => ({
      text: t.token,
      logprob: t.logprob,
      top: t.top_logprobs.map((a) => ({ text: a.token, logprob: a.logprob })),
    }));
  }
  return logprobs.tokens.map((text, i) => ({
    text,
    logprob: logprobs.token_logprobs[i],
    top: Object.entries(logprobs.top_logprobs?.[i] ?? {})
      .map(([alt, logprob]) => ({ text: alt, logprob }))
      .sort((a, b) => b.logprob - a.logprob),
  }));
}

/**
 * The tokens cut to the text the API returned: after a stop sequence the last token may run on past the text
 * (it held the start of the stop sequence), and chat's reply drops the whitespace the model put first. Tokens that
 * do not spell the text are returned as they are.
 */
export function fitTokens(tokens, text) {
  const joined = tokens.map((t) => t.text).join('');
  const start = joined.startsWith(text) ? 0 : joined.length - joined.trimStart().length;
  if (!joined.startsWith(text, start)) return tokens;
  const end = start + text.length;
  const out = [];
  let at = 0;
  for (const t of tokens) {
    const from = Math.max(at, start);
    const to = Math.min(at + t.text.length, end);
    if (to > from) out.push({ ...t, text: t.text.slice(from - at, to - at) });
    at += t.text.length;
  }
  return out;
}

/** A probability as a percentage with about 3 significant digits ("99.7%", "3.25%", "0.0412%"). */
export function percent(logprob) {
  const p = Math.exp(logprob) * 100;
  if (p >= 99.95 && p < 100) return '>99.9%';
  if (p >= 10) return `${p.toFixed(1)}%`;
  if (p >= 1) return `${p.toFixed(2)}%`;
  if (p === 0) return '0%';
  return `${p.toPrecision(3)}%`;
}
