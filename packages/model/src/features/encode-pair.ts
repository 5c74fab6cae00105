// Token ids of a (context, continuation) text pair, split as lm-evaluation-harness (v0.4, `_encode_pair`)
// splits them: trailing whitespace of the context moves to the front of the continuation; the whole string is
// encoded once and the continuation is what follows the length of the context's own encoding (so a BPE merge
// across the boundary is seen as the model saw it in training). An empty context is the end-of-text token, and so
// is an all-whitespace one (the harness would go on with no context token at all, which leaves nothing to
// predict the first continuation token from).
// (The harness of v0.3, used for the GPT-J model card, encoded the continuation on its own; the two differ only
// where a merge crosses the boundary, which GPT-2's pre-tokenizer rarely allows: " word" keeps its space.)
import type { Encode } from './inputs.js';
import type { LoglikelihoodRequest } from './loglikelihood.js';

export function encodePair(encode: Encode, context: string, continuation: string, eosTokenId: number): LoglikelihoodRequest {
  const trailing = context.length - context.trimEnd().length;
  if (trailing > 0) {
    continuation = context.slice(context.length - trailing) + continuation;
    context = context.slice(0, context.length - trailing);
  }
  if (context === '') return { context: [eosTokenId], continuation: encode(continuation) };
  const contextIds = encode(context);
  return { context: contextIds, continuation: encode(context + continuation).slice(contextIds.length) };
}
