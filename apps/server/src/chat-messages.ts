// Chat messages as OpenAI clients send them, reduced to the plain role + text the chat template renders:
// content parts are joined when they are text and refused by name otherwise (GPT-J reads text only), and
// max_completion_tokens (the newer name) stands for max_tokens.
import type { ChatMessage } from './chat-template.js';
import { ApiError } from './errors.js';
import type { ChatBody } from './schemas.js';

function invalid(param: string, message: string): ApiError {
  return new ApiError(400, `${param}: ${message}`, 'invalid_request_error', param);
}

/** The request's messages with content as one string each; a non-text part is a 400 naming it. */
export function chatMessages(body: ChatBody): ChatMessage[] {
  return body.messages.map((m, i) => {
    if (typeof m.content === 'string') return { role: m.role, content: m.content };
    const text = m.content.map((part, j) => {
      const param = `messages.${i}.content.${j}`;
      if (part.type !== 'text') throw invalid(param, `${JSON.stringify(part.type).slice(0, 40)} parts are not supported: this model reads text only`);
      if (typeof part.text !== 'string') throw invalid(`${param}.text`, 'must be a string');
      return part.text;
    });
    return { role: m.role, content: text.join('\n') };
  });
}

/** max_tokens or max_completion_tokens (the same limit under two names); both, if different, are a 400. */
export function chatMaxTokens(body: ChatBody): number | undefined {
  const { max_tokens: old, max_completion_tokens: current } = body;
  if (old !== undefined && current !== undefined && old !== current) {
    throw invalid('max_completion_tokens', `is ${current} but max_tokens is ${old}: give one of them`);
  }
  return current ?? old;
}
