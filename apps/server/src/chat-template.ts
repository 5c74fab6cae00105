// GPT-J is a plain language model, not a chat model: chat messages are rendered into a plain-text transcript that the
// model continues, and generation stops where it would start the next user turn.

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant';
  content: string;
}

// `developer` (OpenAI's newer name for system instructions) is written as System for the base model.
const SPEAKER: Record<ChatMessage['role'], string> = { system: 'System', developer: 'System', user: 'User', assistant: 'Assistant' };

/**
 * The template: one `Speaker: content` block per message, separated by a blank line, then `Assistant:` for the
 * model to continue, e.g.
 *
 *     System: You are terse.
 *
 *     User: Hello
 *
 *     Assistant:
 */
export function renderChat(messages: readonly ChatMessage[]): string {
  return messages.map((m) => `${SPEAKER[m.role]}: ${m.content}`).join('\n\n') + '\n\nAssistant:';
}

/** Stop strings that end the assistant's turn when the model starts writing the next one. */
export const CHAT_STOP = ['\nUser:', '\nSystem:'];
